package dev.ferry.server.grpc;

import dev.ferry.protocol.GrpcCodec;
import dev.ferry.protocol.GrpcFrame;
import io.grpc.ClientCall;
import java.util.ArrayDeque;
import java.util.function.IntConsumer;

/**
 * The client's half of one call, on its way to the service: checks each client frame's number,
 * place and credit, holds its messages until the service can take them (at most the window plus the
 * slack), half-closes after the last, and grants the client more credit as the service takes
 * messages. Not thread-safe: its call's lock guards it.
 */
final class ClientToUpstream {
  /** Request messages the client may send before it is granted more. */
  static final int WINDOW = 16;

  /** Messages a client may send beyond its credit before its call ends with protocol-error. */
  static final int CREDIT_SLACK = WINDOW;

  private final ClientCall<byte[], byte[]> upstream;
  private final IntConsumer grant;
  private final ClientCredit credit = new ClientCredit(CREDIT_SLACK);
  private final ArrayDeque<byte[]> held = new ArrayDeque<>();
  private long expectSeq;
  private boolean clientHalfClosed;
  private boolean upstreamHalfClosed;
  private int takenSinceGrant;

  /** Feeds {@code upstream}, started already; {@code grant} sends the client more credit. */
  ClientToUpstream(ClientCall<byte[], byte[]> upstream, IntConsumer grant) {
    this.upstream = upstream;
    this.grant = grant;
  }

  /**
   * Passes on what came with the start: the response credit (0: nothing until more comes), the
   * first message, the half-close; or else grants the client a window at once, so that it goes on.
   */
  void begin(GrpcCodec.Start start) {
    if (start.credit() > 0) {
      upstream.request(start.credit());
    }
    if (start.message() != null) {
      upstream.sendMessage(start.message());
    }
    if (start.halfClose()) {
      clientHalfClosed = true;
      halfClose();
    } else {
      credit.grant(WINDOW);
      grant.accept(WINDOW);
    }
  }

  /**
   * Takes a client frame other than a cancel; returns what is wrong with it (the call must end, and
   * nothing of the frame was used), or null.
   */
  String accept(GrpcFrame frame) {
    if (frame.seq() != expectSeq) {
      return "client frame " + frame.seq() + " out of order (expected " + expectSeq + ")";
    }
    expectSeq++;
    if (clientHalfClosed && (frame.message() != null || frame.halfClose())) {
      return "client frame " + frame.seq() + " after the half-close";
    }
    if (frame.message() != null && !credit.receive()) {
      return "the client sent "
          + credit.received()
          + " messages on a credit of "
          + credit.granted();
    }
    if (frame.credit() > 0) {
      upstream.request(frame.credit());
    }
    if (frame.message() != null) {
      held.add(frame.message());
    }
    clientHalfClosed |= frame.halfClose();
    push();
    return null;
  }

  /** Sends the held messages while the service can take them; half-closes after the last. */
  void push() {
    while (!held.isEmpty() && upstream.isReady()) {
      upstream.sendMessage(held.poll());
      takenSinceGrant++;
    }
    if (held.isEmpty() && clientHalfClosed) {
      halfClose();
    }
    if (takenSinceGrant >= WINDOW / 2 && !clientHalfClosed) {
      credit.grant(takenSinceGrant);
      grant.accept(takenSinceGrant);
      takenSinceGrant = 0;
    }
  }

  /** Drops what is held: the call is over. */
  void clear() {
    held.clear();
  }

  private void halfClose() {
    if (!upstreamHalfClosed) {
      upstreamHalfClosed = true;
      upstream.halfClose();
    }
  }
}
