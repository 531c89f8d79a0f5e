/**
 * What the scaler knows about each service's load: {@link dev.ferry.scaler.load.Loads} is the table
 * of services, {@link dev.ferry.scaler.load.ServiceLoad} one service's ready requests (polled) and
 * its instances' in-flight requests (reported, expiring), and whom to tell when it changes. Start
 * with {@code ServiceLoad}.
 */
package dev.ferry.scaler.load;
