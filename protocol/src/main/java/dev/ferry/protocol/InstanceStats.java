package dev.ferry.protocol;

/**
 * What one server sidecar instance tells the scaler about itself ({@link StatsCodec}, PROTOCOL.md
 * section 17): how many requests of {@code service} it holds now, taken and not yet settled.
 *
 * @param service the service the instance consumes ({@code ferry.req.<service>})
 * @param instance an identifier unique to the sidecar process (32 hex digits in the reference)
 * @param inFlight requests taken from the queue and not yet acknowledged or returned, prefetched
 *     ones included; at least 0
 * @param concurrency the instance's {@code --concurrency} (its prefetch); informative
 * @param expiresMillis how long after receipt this report counts; 0: the instance is gone
 */
public record InstanceStats(
    String service, String instance, long inFlight, int concurrency, long expiresMillis) {
  public InstanceStats {
    Topology.checkServiceName(service);
    if (instance == null || instance.isEmpty() || instance.length() > 255) {
      throw new IllegalArgumentException("instance: '" + instance + "' (expected: 1-255 chars)");
    }
    if (inFlight < 0) {
      throw new IllegalArgumentException("inFlight: " + inFlight + " (expected: >= 0)");
    }
    if (concurrency < 0) {
      throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: >= 0)");
    }
    if (expiresMillis < 0 || expiresMillis > StatsCodec.MAX_EXPIRES_MILLIS) {
      throw new IllegalArgumentException(
          "expiresMillis: "
              + expiresMillis
              + " (expected: 0.."
              + StatsCodec.MAX_EXPIRES_MILLIS
              + ")");
    }
  }

  /** True for the last report of an instance that stops: it no longer counts at all. */
  public boolean gone() {
    return expiresMillis == 0;
  }
}
