/**
 * KEDA's side: {@link dev.ferry.scaler.grpc.ExternalScalerService} implements the {@code
 * externalscaler.ExternalScaler} gRPC service on top of {@code dev.ferry.scaler.load}, reading each
 * trigger's metadata with {@link dev.ferry.scaler.grpc.Trigger}; {@link
 * dev.ferry.scaler.grpc.ActivityStream} is one open {@code StreamIsActive} call. Start with the
 * service.
 */
package dev.ferry.scaler.grpc;
