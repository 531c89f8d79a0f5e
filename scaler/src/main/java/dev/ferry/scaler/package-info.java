/**
 * The Ferry scaler: a KEDA external-push scaler that activates a service at zero within a poll
 * interval of its first request and reports its ready plus in-flight requests (PROTOCOL.md section
 * 17). Start with {@link dev.ferry.scaler.FerryScaler}, which wires {@code amqp}, {@code load} and
 * {@code grpc} together; {@link dev.ferry.scaler.ScalerMain} is its command line.
 */
package dev.ferry.scaler;
