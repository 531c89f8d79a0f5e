/**
 * Network faults between a sidecar and the broker, made in this process: {@link
 * dev.ferry.loadtest.fault.FaultProxy} is a TCP proxy that can cut, blackhole, delay and refuse
 * connections. The broker fault tests and the {@code soak} command put one in front of each
 * sidecar.
 */
package dev.ferry.loadtest.fault;
