package dev.ferry.scaler.load;

/** Hears a service's metric (ready + in-flight requests) each time it is computed anew. */
@FunctionalInterface
public interface LoadListener {
  /**
   * Called with the current metric, under the service's lock and on whichever thread updated it
   * (poller, stats consumer, or the caller of {@link ServiceLoad#listen}): must not block.
   */
  void load(long metric);
}
