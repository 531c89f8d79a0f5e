package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.client.ClientSidecar;
import dev.ferry.testing.RabbitBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gRPC client that is not Java (Python's grpcio, from Debian's python3-grpcio, which .ci/run
 * installs) gets the real service's answers through the sidecars.
 */
class PythonGrpcClientIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void servesAPythonGrpcClient(@TempDir Path dir) throws Exception {
    try (TestGrpcService service = new TestGrpcService();
        Pair pair = new Pair(broker, "python")) {
      ClientSidecar client = pair.client();
      pair.serverWith("--upstream-grpc", "127.0.0.1:" + service.port());
      Path output = dir.resolve("python.out");

      Process python =
          new ProcessBuilder(
                  "/usr/bin/python3",
                  "src/test/python/grpc_probe.py",
                  Integer.toString(client.grpcPort()))
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();

      assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String printed = Files.readString(output, StandardCharsets.UTF_8);
      assertThat(python.exitValue()).as(printed).isZero();
      assertThat(printed).contains("ok");
    }
  }
}
