/**
 * Calling the real service: {@link dev.ferry.server.upstream.HttpUpstream} is a pooled,
 * non-blocking Netty HTTP/1.1 client (its connections in {@code UpstreamPool}, its connect retries
 * in {@code ConnectRetry}); {@link dev.ferry.server.upstream.UpstreamProbe} tells whether the
 * service accepts connections, and when it first did.
 */
package dev.ferry.server.upstream;
