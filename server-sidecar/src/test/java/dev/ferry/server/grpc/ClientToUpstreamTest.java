package dev.ferry.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.GrpcCodec;
import dev.ferry.protocol.GrpcFrame;
import dev.ferry.protocol.RequestEnvelope;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Client frames on their way to the service: in order, within credit, never without bound. */
class ClientToUpstreamTest {
  private final FakeCall upstream = new FakeCall();
  private final List<Integer> grants = new ArrayList<>();
  private final ClientToUpstream feed = new ClientToUpstream(upstream, grants::add);

  @Test
  void passesOnTheStartAndGrantsAWindowToAStreamingClient() {
    feed.begin(start(new byte[] {1}, false, 16));

    assertThat(upstream.events).containsExactly("request 16", "message 1");
    assertThat(grants).containsExactly(ClientToUpstream.WINDOW);
  }

  @Test
  void asksTheServiceForNothingOnAStartCreditOfZero() {
    feed.begin(start(new byte[] {1}, true, 0));

    assertThat(upstream.events).containsExactly("message 1", "half-close");
    assertThat(grants).isEmpty();
  }

  @Test
  void holdsMessagesWhileTheServiceCannotTakeThemAndGrantsAsItDoes() {
    feed.begin(start(null, false, 16));
    upstream.ready = false;
    for (int seq = 0; seq < 10; seq++) {
      assertThat(feed.accept(message(seq))).isNull();
    }
    assertThat(feed.accept(GrpcFrame.of("c", 10).withHalfClose().withCredit(3))).isNull();
    assertThat(upstream.events).containsExactly("request 16", "request 3");

    upstream.ready = true;
    feed.push();

    assertThat(upstream.events).hasSize(2 + 10 + 1).endsWith("message 9", "half-close");
    assertThat(grants).containsExactly(ClientToUpstream.WINDOW); // None after the half-close.
  }

  @Test
  void grantsHalfAWindowAtATime() {
    feed.begin(start(null, false, 16));
    for (int seq = 0; seq < ClientToUpstream.WINDOW; seq++) {
      feed.accept(message(seq));
    }

    assertThat(grants)
        .containsExactly(
            ClientToUpstream.WINDOW, ClientToUpstream.WINDOW / 2, ClientToUpstream.WINDOW / 2);
  }

  @Test
  void refusesAMessageBeyondTheCreditAndTheSlack() {
    feed.begin(start(null, false, 16));
    upstream.ready = false; // Nothing taken, so no more credit.
    int allowed = ClientToUpstream.WINDOW + ClientToUpstream.CREDIT_SLACK;
    for (int seq = 0; seq < allowed; seq++) {
      assertThat(feed.accept(message(seq))).isNull();
    }

    assertThat(feed.accept(message(allowed)))
        .isEqualTo("the client sent 33 messages on a credit of 16");
  }

  @Test
  void refusesFramesOutOfOrderOrAfterTheHalfClose() {
    feed.begin(start(null, false, 16));
    assertThat(feed.accept(message(1))).isEqualTo("client frame 1 out of order (expected 0)");

    ClientToUpstream halfClosed = new ClientToUpstream(new FakeCall(), grants::add);
    halfClosed.begin(start(new byte[] {1}, true, 16));
    assertThat(halfClosed.accept(GrpcFrame.of("c", 0))).isNull(); // A ping.
    assertThat(halfClosed.accept(message(1))).isEqualTo("client frame 1 after the half-close");
  }

  private static GrpcFrame message(int seq) {
    return GrpcFrame.of("c", seq).withMessage(new byte[] {(byte) seq});
  }

  private static GrpcCodec.Start start(byte[] message, boolean halfClose, int credit) {
    RequestEnvelope request =
        new RequestEnvelope(
            CallKind.GRPC,
            "test.Raw/Any",
            "",
            List.of(),
            message == null ? new byte[0] : message,
            "m",
            "c",
            "ferry.reply.test",
            0,
            60_000);
    return new GrpcCodec.Start(request, message, halfClose, credit);
  }

  /** A started call that records what it is asked to do. */
  private static final class FakeCall extends ClientCall<byte[], byte[]> {
    final List<String> events = new ArrayList<>();
    boolean ready = true;

    @Override
    public void start(Listener<byte[]> listener, Metadata headers) {}

    @Override
    public void request(int count) {
      events.add("request " + count);
    }

    @Override
    public void cancel(String message, Throwable cause) {
      events.add("cancel");
    }

    @Override
    public void halfClose() {
      events.add("half-close");
    }

    @Override
    public void sendMessage(byte[] message) {
      events.add("message " + message[0]);
    }

    @Override
    public boolean isReady() {
      return ready;
    }
  }
}
