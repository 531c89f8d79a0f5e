package dev.ferry.client.ingress;

/**
 * Passed down the pipeline in place of a request whose body is over the limit, so that its 413
 * takes its turn among pipelined responses.
 *
 * @param keepAlive whether the connection can stay open after the 413 (the rest of the body is
 *     discarded by the aggregator)
 */
record Oversized(boolean keepAlive) {}
