/**
 * The server's AMQP machinery: {@link dev.ferry.server.amqp.RequestConsumer} takes requests off
 * {@code ferry.req.<service>} with manual acks, and {@link dev.ferry.server.amqp.AmqpWriter}
 * publishes replies and dead letters with confirms and acknowledges requests, all on one thread.
 */
package dev.ferry.server.amqp;
