package dev.ferry.client;

/**
 * The caller's side of one gRPC call over Ferry (any of the four call types), as {@link
 * FerryClient#newStream} returns it. Methods may be called from any thread, not concurrently with
 * each other; events arrive on the {@link FerryStreamListener}, one at a time, in order, from
 * {@link #start()} on.
 */
public interface FerryStream {
  /** Starts the call; the listener hears nothing before this, and is called once it returns. */
  void start();

  /** Sends one request message. */
  void sendMessage(byte[] message);

  /** Says that no more request messages will be sent. */
  void halfClose();

  /**
   * Sends what has been given so far without waiting for more, even when the call may have more
   * request messages (the sidecar calls it once it has seen all that one read of the caller
   * brought).
   */
  void flush();

  /** Asks for {@code count} more response messages. */
  void request(int count);

  /** True when the server side can take another request message now. */
  boolean isReady();

  /** Ends the call as cancelled; the server side is told, best effort. */
  void cancel(String reason);
}
