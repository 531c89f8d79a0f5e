/**
 * Ferry's client side: the public library API ({@link dev.ferry.client.FerryClient}, calls over
 * RabbitMQ as futures) and the client sidecar built on it ({@link
 * dev.ferry.client.ClientSidecarMain}). Start reading at {@link dev.ferry.client.FerryClient}.
 */
package dev.ferry.client;
