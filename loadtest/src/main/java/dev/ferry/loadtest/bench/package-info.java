/**
 * {@code ferry-loadtest bench}: the standard comparison on one machine — the echo directly, raw
 * RabbitMQ RPC, HTTP and gRPC through a Ferry sidecar pair — with CPU per request, peak memory and
 * start-to-ready of the sidecars, and the performance targets marked PASS or MISS.
 *
 * <p>Start reading at {@link dev.ferry.loadtest.bench.BenchCommand}.
 */
package dev.ferry.loadtest.bench;
