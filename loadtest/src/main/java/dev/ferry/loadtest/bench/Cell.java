package dev.ferry.loadtest.bench;

import dev.ferry.loadtest.load.LoadResult;
import java.util.Map;

/**
 * One measurement of the bench: a configuration under one load.
 *
 * @param load {@code low} (latency) or {@code high} (saturation)
 * @param cpuMicrosPerRequest CPU time per successful request by process ({@code client}, {@code
 *     server}, {@code broker}), in microseconds; a process that could not be read is absent
 */
record Cell(
    Configuration configuration,
    String load,
    LoadResult result,
    Map<String, Double> cpuMicrosPerRequest) {
  Cell {
    cpuMicrosPerRequest = Map.copyOf(cpuMicrosPerRequest);
  }

  /** CPU microseconds per request from a tick delta over {@code ok} requests; NaN without any. */
  static double cpuMicrosPerRequest(long ticks, long ok) {
    return ok == 0 ? Double.NaN : ticks * 1e6 / ProcFs.TICKS_PER_SECOND / ok;
  }
}
