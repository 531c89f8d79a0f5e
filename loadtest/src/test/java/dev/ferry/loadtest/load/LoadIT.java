package dev.ferry.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.loadtest.echo.EchoGrpcServer;
import dev.ferry.loadtest.echo.EchoServer;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The http and grpc modes against the real echo servers, a second each. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadIT {
  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static EchoServer echo;
  private static EchoGrpcServer grpc;

  @BeforeAll
  static void start() {
    echo = EchoServer.start("127.0.0.1", 0);
    grpc = EchoGrpcServer.start("127.0.0.1", 0);
  }

  @AfterAll
  static void stop() {
    grpc.close();
    echo.close();
  }

  @Test
  void httpOpenLoopSendsAtTheRequestedRateAndMeasuresEveryAnswer() throws Exception {
    LoadSpec spec = new LoadSpec(200, 0, 512, Duration.ofMillis(200), SECOND, TIMEOUT);
    LoadResult result;
    try (HttpTransport transport = HttpTransport.open(url("/x"), 8, TIMEOUT)) {
      result = LoadRun.run("http", transport, spec, null, LoadRun.Window.NONE);
    }

    assertThat(result.sent()).isBetween(195L, 205L);
    assertThat(result.ok()).isEqualTo(result.sent());
    assertThat(result.errors()).isEmpty();
    assertThat(result.latencyMicros().getTotalCount()).isEqualTo(result.ok());
    assertThat(result.timeline()).isNotEmpty();
  }

  @Test
  void httpClosedLoopKeepsEachCallerBusyAndCountsErrorsByKind() throws Exception {
    LoadResult ok;
    LoadResult failing;
    LoadSpec spec = LoadSpec.closed(4, 64, Duration.ZERO, SECOND, TIMEOUT);
    try (HttpTransport transport = HttpTransport.open(url("/y"), 4, TIMEOUT)) {
      ok = LoadRun.run("ok", transport, spec, null, LoadRun.Window.NONE);
    }
    try (HttpTransport transport = HttpTransport.open(url("/z?status=503"), 2, TIMEOUT)) {
      failing = LoadRun.run("503", transport, spec, null, LoadRun.Window.NONE);
    }

    assertThat(ok.ok()).isGreaterThan(100);
    assertThat(ok.errors()).isEmpty();
    assertThat(failing.ok()).isZero();
    assertThat(failing.errors()).containsOnlyKeys("http-503");
    assertThat(failing.errorCount()).isEqualTo(failing.sent());
  }

  @Test
  void ferryErrorHeadersAreCountedByTheirCode() throws Exception {
    LoadSpec spec = LoadSpec.closed(1, 8, Duration.ZERO, Duration.ofMillis(300), TIMEOUT);
    LoadResult result;
    try (HttpTransport transport =
        HttpTransport.open(url("/e?status=504&header=ferry-error:timeout"), 1, TIMEOUT)) {
      result = LoadRun.run("ferry", transport, spec, null, LoadRun.Window.NONE);
    }

    assertThat(result.errors()).containsOnlyKeys("ferry-error:timeout");
  }

  @Test
  void grpcModeCallsAnyMethodOfTheEchoInBothLoops() throws Exception {
    LoadResult closed;
    LoadResult open;
    try (GrpcTransport transport =
        GrpcTransport.open("127.0.0.1:" + grpc.port(), "x.Y/Z", 2, TIMEOUT)) {
      closed =
          LoadRun.run(
              "grpc",
              transport,
              LoadSpec.closed(4, 512, Duration.ofMillis(200), SECOND, TIMEOUT),
              null,
              LoadRun.Window.NONE);
      open =
          LoadRun.run(
              "grpc",
              transport,
              new LoadSpec(100, 0, 512, Duration.ZERO, SECOND, TIMEOUT),
              null,
              LoadRun.Window.NONE);
    }

    assertThat(closed.ok()).isGreaterThan(100);
    assertThat(closed.errors()).isEmpty();
    assertThat(open.ok()).isBetween(95L, 105L);
    assertThat(open.errors()).isEmpty();
  }

  @Test
  void aTargetThatDoesNotListenGivesConnectErrorsNotAHang() throws Exception {
    LoadSpec spec = LoadSpec.closed(1, 8, Duration.ZERO, Duration.ofMillis(300), TIMEOUT);
    LoadResult result;
    try (HttpTransport transport =
        HttpTransport.open(URI.create("http://127.0.0.1:1/"), 1, TIMEOUT)) {
      result = LoadRun.run("down", transport, spec, null, LoadRun.Window.NONE);
    }

    assertThat(result.ok()).isZero();
    assertThat(result.errors()).containsOnlyKeys("connect");
  }

  private static URI url(String path) {
    return URI.create("http://127.0.0.1:" + echo.port() + path);
  }
}
