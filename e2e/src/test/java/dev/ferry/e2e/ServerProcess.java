package dev.ferry.e2e;

import dev.ferry.server.ServerSidecarMain;
import dev.ferry.testing.RabbitBroker;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A server sidecar in a process of its own, for what needs a real process (SIGTERM, SIGKILL): the
 * broker URI travels in the environment (FERRY_AMQP_URI), as in a pod; its admin port is fixed so
 * that a test can wait for readiness; its output goes to {@code log}.
 */
record ServerProcess(Process process, int adminPort) {
  static ServerProcess start(RabbitBroker broker, String service, Path log, String... upstream)
      throws IOException {
    int admin;
    try (ServerSocket socket = new ServerSocket(0)) {
      admin = socket.getLocalPort();
    }
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                ServerSidecarMain.class.getName(),
                "--service",
                service,
                "--admin-host",
                "127.0.0.1",
                "--admin-port",
                Integer.toString(admin),
                "--queue-type",
                "classic"));
    command.addAll(List.of(upstream));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("FERRY_AMQP_URI", broker.uri());
    return new ServerProcess(builder.start(), admin);
  }
}
