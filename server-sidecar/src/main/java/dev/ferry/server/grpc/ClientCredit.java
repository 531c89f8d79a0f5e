package dev.ferry.server.grpc;

/**
 * The request messages one client may send a call: the credit this sidecar granted, what arrived,
 * and a slack beyond the credit before the client counts as misbehaving. Messages held for the
 * service are thereby bounded by the window plus the slack. The first message, which travels in the
 * call's start, needs no credit. Not thread-safe: its call guards it.
 */
final class ClientCredit {
  private final int slack;
  private long granted;
  private long received;

  /** Credit that tolerates {@code slack} messages over what was granted. */
  ClientCredit(int slack) {
    if (slack < 0) {
      throw new IllegalArgumentException("slack: " + slack + " (expected: >= 0)");
    }
    this.slack = slack;
  }

  /** Counts {@code messages} more granted to the client. */
  void grant(int messages) {
    granted += messages;
  }

  /** Counts one message from the client; false when it is beyond the credit and the slack. */
  boolean receive() {
    received++;
    return received <= granted + slack;
  }

  long granted() {
    return granted;
  }

  long received() {
    return received;
  }
}
