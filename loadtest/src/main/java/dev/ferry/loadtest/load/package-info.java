/**
 * The load generator behind {@code ferry-loadtest http} and {@code grpc} (and the bench): a {@link
 * dev.ferry.loadtest.load.Transport} sends one request, {@link dev.ferry.loadtest.load.LoadRun}
 * drives it open-loop (a fixed {@link dev.ferry.loadtest.load.Schedule}, latency from the intended
 * send time) or closed-loop (N callers), and a {@link dev.ferry.loadtest.load.LoadResult} becomes
 * text, JSON and an {@link dev.ferry.loadtest.load.HtmlReport}.
 *
 * <p>Start reading at {@link dev.ferry.loadtest.load.LoadRun}.
 */
package dev.ferry.loadtest.load;
