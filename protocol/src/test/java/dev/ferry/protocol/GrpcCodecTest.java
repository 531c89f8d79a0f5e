package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrpcCodecTest {
  private static final long NOW = 1_764_000_000_000L;

  private static RequestEnvelope start(byte[] body) {
    return new RequestEnvelope(
        CallKind.GRPC,
        "pkg.Svc/Call",
        "",
        List.of(new Header("x-a", "1"), new Header("x-b-bin", "\u0000\r\n\u00ff")),
        body,
        "m-1",
        "c-1",
        "ferry.reply.r",
        NOW,
        NOW + 5_000);
  }

  @Test
  void roundTripsAStartWithAnEmptyFirstMessageAndBinaryMetadata() throws Exception {
    AmqpMessage message = GrpcCodec.encodeStart(start(new byte[0]), true, true, 16);

    RequestEnvelope request = EnvelopeCodec.decodeRequest(message.properties(), message.body());
    GrpcCodec.Start decoded = GrpcCodec.decodeStart(request, message.properties());

    assertThat(decoded.message()).isEmpty();
    assertThat(decoded.halfClose()).isTrue();
    assertThat(decoded.credit()).isEqualTo(16);
    assertThat(request.headers())
        .containsExactly(new Header("x-a", "1"), new Header("x-b-bin", "\u0000\r\n\u00ff"));
  }

  @Test
  void tellsAStartWithoutMessageFromOneWithAnEmptyMessage() throws Exception {
    AmqpMessage message = GrpcCodec.encodeStart(start(new byte[0]), false, false, 4);

    RequestEnvelope request = EnvelopeCodec.decodeRequest(message.properties(), message.body());

    assertThat(GrpcCodec.decodeStart(request, message.properties()).message()).isNull();
  }

  @Test
  void roundTripsAFrameWithEveryPart() throws Exception {
    GrpcFrame frame =
        GrpcFrame.of("c-1", 3)
            .withCallAddress("ferry.call.i")
            .withHeaders(List.of(new Header("h", "v")))
            .withMessage("hi".getBytes(StandardCharsets.UTF_8))
            .withCredit(8)
            .withStatus(
                new GrpcStatus(14, "ünïcödé ✓", List.of(new Header("ferry-error", "timeout"))),
                FerryError.TIMEOUT);

    AmqpMessage message = GrpcCodec.encodeFrame(frame, NOW);
    GrpcFrame decoded = GrpcCodec.decodeFrame(message.properties(), message.body());

    assertThat(decoded).usingRecursiveComparison().isEqualTo(frame);
  }

  @Test
  void rejectsACallAddressThatIsNotAFerryCallQueue() {
    AmqpMessage message =
        GrpcCodec.encodeFrame(GrpcFrame.of("c", 0).withCallAddress("ferry.req.other"), NOW);

    assertThatThrownBy(() -> GrpcCodec.decodeFrame(message.properties(), message.body()))
        .isInstanceOfSatisfying(
            MalformedMessageException.class,
            e -> assertThat(e.field()).isEqualTo(GrpcCodec.H_CALL_ADDRESS));
  }

  @Test
  void rejectsABodyThatClaimsNoMessage() {
    AmqpMessage message = GrpcCodec.encodeFrame(GrpcFrame.of("c", 0), NOW);

    assertThatThrownBy(() -> GrpcCodec.decodeFrame(message.properties(), new byte[] {1}))
        .isInstanceOfSatisfying(
            MalformedMessageException.class,
            e -> assertThat(e.field()).isEqualTo(GrpcCodec.H_MESSAGES));
  }

  @Test
  void rejectsAStatusCodeOutOfRangeAndAMissingSeq() {
    Map<String, Object> headers =
        new HashMap<>(GrpcCodec.encodeFrame(GrpcFrame.of("c", 0), NOW).properties().getHeaders());
    headers.put(GrpcCodec.H_STATUS, 17);
    AMQP.BasicProperties badStatus =
        new AMQP.BasicProperties.Builder()
            .type(GrpcCodec.TYPE_FRAME)
            .correlationId("c")
            .headers(headers)
            .build();
    Map<String, Object> noSeq =
        new HashMap<>(GrpcCodec.encodeFrame(GrpcFrame.of("c", 0), NOW).properties().getHeaders());
    noSeq.remove(GrpcCodec.H_SEQ);
    AMQP.BasicProperties missingSeq =
        new AMQP.BasicProperties.Builder()
            .type(GrpcCodec.TYPE_FRAME)
            .correlationId("c")
            .headers(noSeq)
            .build();

    assertThatThrownBy(() -> GrpcCodec.decodeFrame(badStatus, new byte[0]))
        .isInstanceOfSatisfying(
            MalformedMessageException.class,
            e -> assertThat(e.field()).isEqualTo(GrpcCodec.H_STATUS));
    assertThatThrownBy(() -> GrpcCodec.decodeFrame(missingSeq, new byte[0]))
        .isInstanceOfSatisfying(
            MalformedMessageException.class, e -> assertThat(e.field()).isEqualTo(GrpcCodec.H_SEQ));
  }
}
