/**
 * The {@code echo} upstream: a small, fast Netty HTTP/1.1 server that answers with what it
 * received, with query parameters that make it slow, large, chunked, failing or rude on demand.
 *
 * <p>Start reading at {@link dev.ferry.loadtest.echo.EchoServer} (also used in-process by other
 * modules' tests); {@link dev.ferry.loadtest.echo.EchoOptions} lists the query parameters.
 */
package dev.ferry.loadtest.echo;
