/**
 * Keeping a failing service from eating requests: one {@link
 * dev.ferry.server.resilience.UpstreamBreaker} per upstream (HTTP, gRPC) whose opening pauses the
 * consumer ({@link dev.ferry.server.resilience.Circuits#prefetch}), and the retries a request may
 * get ({@link dev.ferry.server.resilience.Retries}, within a {@link
 * dev.ferry.server.resilience.RetryBudget}). Start reading at {@link
 * dev.ferry.server.resilience.ResilientHttp}.
 */
package dev.ferry.server.resilience;
