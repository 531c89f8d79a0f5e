package dev.ferry.loadtest.soak;

/**
 * Why a request was executed more than once. Three causes are at-least-once cases the guarantees
 * document (README "Guarantees", PROTOCOL.md section 11: the reply cache is per server sidecar
 * process); any other repeat breaks an invariant.
 */
enum Repeat {
  /** The server sidecar that executed it was SIGKILLed before acknowledging; redelivered. */
  SIGKILL(
      "executedTwiceAfterSigkill", "executed twice: server sidecar SIGKILLed mid-request", true),
  /**
   * The broker connection of the server sidecar that executed it was cut before the ack; the
   * redelivery reached another server sidecar, whose reply cache does not know it.
   */
  SERVER_CUT(
      "executedTwiceAfterServerCut",
      "executed twice: server connection cut, repeat on another server",
      true),
  /**
   * The client sidecar's connection was cut before the publish was confirmed; the request,
   * published again with the same message id, reached another server sidecar than the first copy.
   */
  CLIENT_REPUBLISH(
      "executedTwiceAfterClientRepublish",
      "executed twice: republished after a client cut, on another server",
      true),
  /** None of the above: a broken invariant. */
  OTHER("executedMoreThanOnceOtherwise", "executed more than once otherwise", false);

  private final String key;
  private final String label;
  private final boolean documented;

  Repeat(String key, String label, boolean documented) {
    this.key = key;
    this.label = label;
    this.documented = documented;
  }

  String key() {
    return key;
  }

  String label() {
    return label;
  }

  boolean documented() {
    return documented;
  }
}
