/**
 * What happens to one request in the server sidecar: decode, check the deadline, call the service,
 * publish the reply, acknowledge. Start reading at {@link dev.ferry.server.dispatch.Dispatcher}.
 */
package dev.ferry.server.dispatch;
