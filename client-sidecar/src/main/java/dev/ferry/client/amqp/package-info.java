/**
 * The client's AMQP machinery (internal, public only for {@link dev.ferry.client.FerryClient}):
 * {@link dev.ferry.client.amqp.RequestPublisher} publishes requests with confirms on a thread of
 * its own, {@link dev.ferry.client.amqp.ReplyConsumer} takes replies off the instance's reply
 * queue, and {@link dev.ferry.client.amqp.PendingCalls} matches them to waiting callers.
 */
package dev.ferry.client.amqp;
