/**
 * Calling the real service: {@link dev.ferry.server.upstream.HttpUpstream} is a pooled,
 * non-blocking Netty HTTP/1.1 client; {@link dev.ferry.server.upstream.UpstreamProbe} tells whether
 * the service accepts connections.
 */
package dev.ferry.server.upstream;
