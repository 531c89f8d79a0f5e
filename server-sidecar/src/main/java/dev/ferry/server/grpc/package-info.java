/**
 * gRPC calls in the server sidecar: {@link dev.ferry.server.grpc.GrpcUpstream} is the channel to
 * the real service, {@link dev.ferry.server.grpc.CallQueue} receives the client frames of calls in
 * progress (and cancellations) and {@link dev.ferry.server.grpc.ActiveCalls} hands them to the call
 * they belong to, and {@link dev.ferry.server.grpc.ServerGrpcCall} runs one call (start reading
 * there), with {@code ClientCredit} bounding what a client may send and {@code StatusMarking}
 * deciding which statuses the caller gets as sidecar errors.
 */
package dev.ferry.server.grpc;
