/**
 * Runtime pieces both sidecars share: command-line and environment configuration ({@link
 * dev.ferry.common.EnvironmentDefaults}, {@link dev.ferry.common.Durations}, {@link
 * dev.ferry.common.Sizes}), the broker connection ({@link dev.ferry.common.AmqpConnector}), the
 * admin HTTP endpoint ({@link dev.ferry.common.AdminServer}) and readiness.
 *
 * <p>No Netty and no gRPC here. Start reading at {@link dev.ferry.common.AmqpConnector}.
 */
package dev.ferry.common;
