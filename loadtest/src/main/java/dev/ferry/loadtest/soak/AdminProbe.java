package dev.ferry.loadtest.soak;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a sidecar's admin endpoint: readiness, and gauges such as the client sidecar's pending
 * calls. Public for the scale simulation, which reads the server sidecars' in-flight requests.
 */
public final class AdminProbe {
  /** The gauge {@code ferry.client.pending} (ClientMetrics) as Prometheus renders it. */
  private static final String PENDING = "ferry_client_pending";

  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private AdminProbe() {}

  /** Whether {@code /readyz} answers 200; false while the process starts or is unreachable. */
  public static boolean ready(int adminPort) throws InterruptedException {
    HttpResponse<String> response = get(adminPort, "/readyz");
    return response != null && response.statusCode() == 200;
  }

  /**
   * The client sidecar's {@code ferry_client_pending} (summed over its series), or -1 when the
   * metrics cannot be read or lack it.
   */
  static long clientPending(int adminPort) throws InterruptedException {
    return gauge(adminPort, PENDING);
  }

  /**
   * The Prometheus gauge {@code name} (e.g. {@code ferry_server_inflight}) summed over its series,
   * rounded; -1 when the metrics cannot be read or lack it.
   */
  public static long gauge(int adminPort, String name) throws InterruptedException {
    HttpResponse<String> response = get(adminPort, "/metrics");
    if (response == null || response.statusCode() != 200) {
      return -1;
    }
    Matcher matcher =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*})? ([0-9.eE+-]+)$")
            .matcher(response.body());
    double total = 0;
    boolean found = false;
    while (matcher.find()) {
      total += Double.parseDouble(matcher.group(1));
      found = true;
    }
    return found ? Math.round(total) : -1;
  }

  private static HttpResponse<String> get(int port, String path) throws InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build();
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    }
  }
}
