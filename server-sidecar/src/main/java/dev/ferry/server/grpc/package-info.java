/**
 * gRPC calls in the server sidecar: {@link dev.ferry.server.grpc.GrpcUpstream} is the channel to
 * the real service, {@link dev.ferry.server.grpc.CallQueue} receives the client frames of calls in
 * progress (and cancellations), and {@link dev.ferry.server.grpc.ServerGrpcCall} runs one call.
 */
package dev.ferry.server.grpc;
