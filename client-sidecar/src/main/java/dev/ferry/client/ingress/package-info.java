/**
 * The client sidecar's HTTP/1.1 front end: a Netty server that turns each request into a {@link
 * dev.ferry.client.FerryCall} and writes the outcome back in request order. Start reading at {@link
 * dev.ferry.client.ingress.HttpIngress}, then {@link dev.ferry.client.ingress.HttpIngressHandler}.
 */
package dev.ferry.client.ingress;
