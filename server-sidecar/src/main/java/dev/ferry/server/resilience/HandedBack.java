package dev.ferry.server.resilience;

/**
 * The request was not started because its upstream's circuit is open: nothing reached the service,
 * so the request goes back to the queue, for a healthy replica (or this one, later) to take.
 * Singleton, without a stack trace.
 */
public final class HandedBack extends Exception {
  static final HandedBack CIRCUIT_OPEN = new HandedBack();

  private HandedBack() {
    super("the circuit to the upstream is open", null, false, false);
  }
}
