/** The baseline Ferry is compared against: request/response with the plain amqp-client. */
package dev.ferry.loadtest.rawrpc;
