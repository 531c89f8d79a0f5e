/**
 * The wire contract between Ferry's client and server sidecars: how a request and its response
 * travel as AMQP 0-9-1 messages ({@link dev.ferry.protocol.EnvelopeCodec}), how queues are named
 * and declared ({@link dev.ferry.protocol.Topology}), and which errors the sidecars make themselves
 * ({@link dev.ferry.protocol.FerryError}).
 *
 * <p>Pure code: no threads, no sockets. {@code protocol/PROTOCOL.md} is the normative text; start
 * reading there, then at {@link dev.ferry.protocol.EnvelopeCodec}.
 */
package dev.ferry.protocol;
