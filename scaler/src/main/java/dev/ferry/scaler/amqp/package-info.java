/**
 * The scaler's two uses of the broker: {@link dev.ferry.scaler.amqp.DepthPoller} reads how many
 * requests wait in each watched service's queue, {@link dev.ferry.scaler.amqp.StatsConsumer} hears
 * the server sidecars' in-flight reports (PROTOCOL.md section 17). Each owns its channel and
 * thread.
 */
package dev.ferry.scaler.amqp;
