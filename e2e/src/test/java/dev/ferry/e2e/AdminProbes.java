package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Pattern;

/** What a sidecar's admin endpoint says: readiness, and the client's pending calls. */
final class AdminProbes {
  private static final Pattern NOTHING_PENDING =
      Pattern.compile("(?m)^ferry_client_pending(\\{[^}]*})? 0\\.0$");

  private AdminProbes() {}

  /** Asserts {@code /readyz} is 503 and names {@code failing} among the conditions that fail. */
  static void assertNotReady(int adminPort, String failing) throws Exception {
    HttpResponse<String> ready = Http.get(adminPort, "/readyz");
    assertThat(ready.statusCode()).as("/readyz: %s", ready.body()).isEqualTo(503);
    assertThat(ready.body()).contains(failing);
  }

  /** Waits (10 s at most) until {@code /readyz} is 503 naming {@code failing}. */
  static void awaitNotReady(int adminPort, String failing) {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertNotReady(adminPort, failing));
  }

  /** Waits (30 s at most) until {@code /readyz} is 200. */
  static void awaitReady(int adminPort) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              HttpResponse<String> ready = Http.get(adminPort, "/readyz");
              assertThat(ready.statusCode()).as("/readyz: %s", ready.body()).isEqualTo(200);
            });
  }

  /** Waits (10 s at most) until a client sidecar's {@code ferry_client_pending} is 0. */
  static void awaitNothingPending(int clientAdminPort) {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(Http.get(clientAdminPort, "/metrics").body())
                    .containsPattern(NOTHING_PENDING));
  }
}
