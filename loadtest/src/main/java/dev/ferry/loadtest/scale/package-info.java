/**
 * {@code ferry-loadtest scale}: scale from zero on one machine. Reads a KEDA ScaledObject, watches
 * the real request queue on a real RabbitMQ and starts or stops real server sidecar processes as
 * KEDA and the HPA would ({@link dev.ferry.loadtest.scale.Autoscaler} holds the rules), while a
 * load pattern runs through a client sidecar; prints and charts the timeline. Start reading at
 * {@code ScaleCommand}, then {@code ScaleSimulation}.
 */
package dev.ferry.loadtest.scale;
