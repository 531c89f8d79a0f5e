/**
 * Ferry's server sidecar: consumes a service's request queue, calls the real service, and publishes
 * each reply before acknowledging its request. Start reading at {@link
 * dev.ferry.server.ServerSidecar}, then {@link dev.ferry.server.dispatch.Dispatcher}.
 */
package dev.ferry.server;
