package dev.ferry.server.grpc;

import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.GrpcCodec;
import dev.ferry.protocol.GrpcFrame;
import dev.ferry.server.amqp.AmqpWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frames of one call to its caller's reply queue: numbered from 0 in the order sent, the first
 * (unless it is also the last) naming the call address, each published with confirms. A status the
 * broker did not take is published again, up to {@link #STATUS_ATTEMPTS} times in all (as the
 * dispatcher does with replies). What became of the frames goes to a {@link Listener}, on the
 * writer thread. {@link #send} runs under its call's lock.
 */
final class CallerFrames {
  private static final Logger logger = LoggerFactory.getLogger(CallerFrames.class);

  /** How often the final status is published before it is given up. */
  static final int STATUS_ATTEMPTS = 3;

  /** What became of the frames. */
  interface Listener {
    /** The broker took the first frame: the call is this sidecar's. */
    void firstConfirmed();

    /** The broker did not take the first frame: nothing of the call reached the caller. */
    void firstLost(String reason);

    /** The broker did not take a frame between the first and the status. */
    void middleLost(String reason);

    /** The status was taken, or given up: nothing more goes to the caller. */
    void lastSettled();
  }

  private final AmqpWriter writer;
  private final String callId;
  private final String replyTo;
  private final String callAddress;
  private final Listener listener;
  private long seq;

  CallerFrames(
      AmqpWriter writer, String callId, String replyTo, String callAddress, Listener listener) {
    this.writer = writer;
    this.callId = callId;
    this.replyTo = replyTo;
    this.callAddress = callAddress;
    this.listener = listener;
  }

  /** Numbers and publishes {@code frame}. */
  void send(GrpcFrame frame) {
    boolean first = seq == 0;
    boolean last = frame.isLast();
    GrpcFrame numbered =
        new GrpcFrame(
            callId,
            seq++,
            first && !last ? callAddress : null,
            frame.headers(),
            frame.message(),
            false,
            frame.credit(),
            false,
            frame.status(),
            frame.error());
    publish(GrpcCodec.encodeFrame(numbered, System.currentTimeMillis()), first, last, 1);
  }

  private void publish(AmqpMessage message, boolean first, boolean last, int attempt) {
    writer.publish(
        replyTo,
        message,
        AmqpWriter.Confirmation.of(
            () -> confirmed(first, last), reason -> failed(message, first, last, attempt, reason)));
  }

  private void confirmed(boolean first, boolean last) {
    if (first) {
      listener.firstConfirmed();
    }
    if (last) {
      listener.lastSettled();
    }
  }

  private void failed(
      AmqpMessage message, boolean first, boolean last, int attempt, String reason) {
    if (first) {
      listener.firstLost(reason); // Not published again: the start goes back to the queue.
      if (last) {
        listener.lastSettled();
      }
    } else if (!last) {
      listener.middleLost(reason);
    } else if (attempt < STATUS_ATTEMPTS) {
      logger.debug(
          "status not confirmed, publishing it again callId={} attempt={} reason={}",
          callId,
          attempt,
          reason);
      publish(message, false, true, attempt + 1);
    } else {
      logger.warn(
          "status not confirmed after {} attempts, giving it up callId={} reason={}",
          attempt,
          callId,
          reason);
      listener.lastSettled();
    }
  }
}
