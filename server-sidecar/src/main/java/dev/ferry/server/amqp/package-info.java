/**
 * The server's AMQP machinery: {@link dev.ferry.server.amqp.RequestConsumer} takes requests off
 * {@code ferry.req.<service>} with manual acks (and consumes again when the broker cancels it), and
 * {@link dev.ferry.server.amqp.AmqpWriter} publishes replies and dead letters with confirms and
 * acknowledges requests, all on one thread, replacing its channel when the broker closes it.
 */
package dev.ferry.server.amqp;
