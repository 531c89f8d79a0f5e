package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.impl.LongStringHelper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class EnvelopeCodecTest {
  private static final long SENT_AT = 1_700_000_000_123L;
  private static final String CORRELATION_ID = "3b8e0c5f1a2d4f6e9c7b0a1d2e3f4a5b";

  private static RequestEnvelope request(List<Header> headers, byte[] body) {
    return new RequestEnvelope(
        CallKind.HTTP,
        "POST",
        "/v1/things?x=1",
        headers,
        body,
        "9f1c2b7e4a5d4e0f8b3a6c1d2e7f8091",
        CORRELATION_ID,
        "ferry.reply.web-1",
        SENT_AT,
        SENT_AT + 30_000);
  }

  private static RequestEnvelope request() {
    return request(List.of(new Header("Host", "svc")), new byte[0]);
  }

  private static ResponseEnvelope response() {
    return new ResponseEnvelope(
        CORRELATION_ID,
        200,
        List.of(new Header("Content-Type", "text/plain")),
        bytes("ok"),
        null,
        5);
  }

  private static byte[] bytes(String latin1) {
    return latin1.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static LongString longString(String latin1) {
    return LongStringHelper.asLongString(bytes(latin1));
  }

  /** The encoded request with header {@code name} set to {@code value} (removed when null). */
  private static AMQP.BasicProperties requestWith(String name, Object value) {
    return withHeader(EnvelopeCodec.encodeRequest(request()).properties(), name, value);
  }

  private static AMQP.BasicProperties responseWith(String name, Object value) {
    return withHeader(EnvelopeCodec.encodeResponse(response(), SENT_AT).properties(), name, value);
  }

  private static AMQP.BasicProperties withHeader(
      AMQP.BasicProperties properties, String name, Object value) {
    Map<String, Object> headers = new HashMap<>(properties.getHeaders());
    if (value == null) {
      headers.remove(name);
    } else {
      headers.put(name, value);
    }
    return properties.builder().headers(headers).build();
  }

  /** A {@code ferry-headers} array of the given elements. */
  private static List<Object> array(Object... elements) {
    return new ArrayList<>(List.of(elements));
  }

  private static MalformedMessageException rejectedRequest(AMQP.BasicProperties properties) {
    return catchThrowableOfType(
        MalformedMessageException.class,
        () -> EnvelopeCodec.decodeRequest(properties, new byte[0]));
  }

  private static MalformedMessageException rejectedResponse(AMQP.BasicProperties properties) {
    return catchThrowableOfType(
        MalformedMessageException.class,
        () -> EnvelopeCodec.decodeResponse(properties, new byte[0]));
  }

  private static void assertProtocolError(MalformedMessageException e, String field) {
    assertThat(e).as("rejected").isNotNull();
    assertThat(e.field()).isEqualTo(field);
    assertThat(e.error()).isEqualTo(FerryError.PROTOCOL_ERROR);
    assertThat(e.getMessage()).startsWith(field + ": ");
    assertThat(e.getStackTrace()).isEmpty();
  }

  @Nested
  class RoundTrips {
    private RequestEnvelope roundTrip(RequestEnvelope request) throws MalformedMessageException {
      AmqpMessage message = EnvelopeCodec.encodeRequest(request);
      return EnvelopeCodec.decodeRequest(message.properties(), message.body());
    }

    private ResponseEnvelope roundTrip(ResponseEnvelope response) throws MalformedMessageException {
      AmqpMessage message = EnvelopeCodec.encodeResponse(response, SENT_AT);
      return EnvelopeCodec.decodeResponse(message.properties(), message.body());
    }

    @Test
    void keepsEveryFieldOfARequest() throws Exception {
      RequestEnvelope request = request();
      assertThat(roundTrip(request)).usingRecursiveComparison().isEqualTo(request);
    }

    @Test
    void keepsAnEmptyRequestBody() throws Exception {
      assertThat(roundTrip(request(List.of(), new byte[0])).body()).isEmpty();
    }

    @Test
    void keepsEveryOctetOfABinaryBody() throws Exception {
      byte[] body = new byte[256];
      for (int i = 0; i < body.length; i++) {
        body[i] = (byte) i;
      }
      assertThat(roundTrip(request(List.of(), body)).body()).isEqualTo(body);
    }

    @Test
    void keepsRepeatedHeadersTheirOrderAndCase() throws Exception {
      List<Header> headers =
          List.of(
              new Header("Set-Cookie", "a=1"),
              new Header("x-lower", "1"),
              new Header("Set-Cookie", "b=2"),
              new Header("X-UPPER", ""));
      assertThat(roundTrip(request(headers, new byte[0])).headers()).isEqualTo(headers);
    }

    @Test
    void keepsNonUtf8HeaderOctets() throws Exception {
      List<Header> headers = List.of(new Header("X-Name", "Ren\u00e9 \u00ff\u0080\t"));
      AmqpMessage message = EnvelopeCodec.encodeRequest(request(headers, new byte[0]));
      List<?> array = (List<?>) message.properties().getHeaders().get(EnvelopeCodec.H_HEADERS);
      assertThat(((LongString) array.get(1)).getBytes())
          .containsExactly(0x52, 0x65, 0x6e, 0xe9, 0x20, 0xff, 0x80, 0x09);
      assertThat(roundTrip(request(headers, new byte[0])).headers()).isEqualTo(headers);
    }

    @Test
    void keepsAGrpcCallWithAnEmptyTargetAndAMethodPath() throws Exception {
      RequestEnvelope call =
          new RequestEnvelope(
              CallKind.GRPC,
              "pkg.Orders/Get",
              "",
              List.of(),
              bytes("\0\0\0\0\0"),
              "m",
              "c",
              "ferry.reply.r",
              0,
              1);
      assertThat(roundTrip(call)).usingRecursiveComparison().isEqualTo(call);
    }

    @Test
    void keepsEveryFieldOfAResponse() throws Exception {
      ResponseEnvelope response = response();
      assertThat(roundTrip(response)).usingRecursiveComparison().isEqualTo(response);
    }

    @Test
    void keepsAResponseWithAnEmptyBodyAndUnknownQueueTime() throws Exception {
      ResponseEnvelope response =
          new ResponseEnvelope(CORRELATION_ID, 204, List.of(), new byte[0], null, -1);
      AmqpMessage message = EnvelopeCodec.encodeResponse(response, SENT_AT);
      assertThat(message.properties().getHeaders()).doesNotContainKey(EnvelopeCodec.H_QUEUE_MILLIS);
      assertThat(roundTrip(response)).usingRecursiveComparison().isEqualTo(response);
    }

    @ParameterizedTest
    @EnumSource(FerryError.class)
    void keepsEachSidecarError(FerryError error) throws Exception {
      ResponseEnvelope reply = ResponseEnvelope.ofError(CORRELATION_ID, error, "why", 0);
      ResponseEnvelope decoded = roundTrip(reply);
      assertThat(decoded).usingRecursiveComparison().isEqualTo(reply);
      assertThat(decoded.isSidecarError()).isTrue();
      assertThat(decoded.status()).isEqualTo(error.httpStatus());
    }

    @Test
    void readsANullBodyAsEmpty() throws Exception {
      AmqpMessage message = EnvelopeCodec.encodeRequest(request());
      assertThat(EnvelopeCodec.decodeRequest(message.properties(), null).body()).isEmpty();
      AmqpMessage reply = EnvelopeCodec.encodeResponse(response(), SENT_AT);
      assertThat(EnvelopeCodec.decodeResponse(reply.properties(), null).body()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"byte", "short", "long"})
    void acceptsAVersionOfAnyIntegerType(String type) throws Exception {
      Object one =
          switch (type) {
            case "byte" -> (byte) 1;
            case "short" -> (short) 1;
            default -> 1L;
          };
      assertThat(EnvelopeCodec.decodeRequest(requestWith("ferry-version", one), new byte[0]))
          .usingRecursiveComparison()
          .isEqualTo(request());
    }

    @Test
    void ignoresUnknownHeadersAndProperties() throws Exception {
      AMQP.BasicProperties properties =
          requestWith("x-delivery-count", 3).builder().appId("someone").priority(5).build();
      assertThat(EnvelopeCodec.decodeRequest(properties, new byte[0]))
          .usingRecursiveComparison()
          .isEqualTo(request());
    }
  }

  @Nested
  class Encoding {
    @Test
    void setsTheRequestProperties() {
      AMQP.BasicProperties properties = EnvelopeCodec.encodeRequest(request()).properties();
      assertThat(properties.getType()).isEqualTo("ferry.request");
      assertThat(properties.getDeliveryMode()).isEqualTo(2);
      assertThat(properties.getExpiration()).isEqualTo("30000");
      assertThat(properties.getTimestamp()).isEqualTo(new Date(1_700_000_000_000L));
      assertThat(properties.getHeaders())
          .containsEntry("ferry-version", 1)
          .containsEntry("ferry-sent-at", SENT_AT)
          .containsEntry("ferry-deadline", SENT_AT + 30_000);
    }

    @Test
    void capsTheExpirationAtTheBrokersLimit() {
      RequestEnvelope distant =
          new RequestEnvelope(
              CallKind.HTTP,
              "GET",
              "/",
              List.of(),
              new byte[0],
              "m",
              "c",
              "ferry.reply.r",
              SENT_AT,
              Long.MAX_VALUE);
      assertThat(EnvelopeCodec.encodeRequest(distant).properties().getExpiration())
          .isEqualTo(Long.toString(EnvelopeCodec.MAX_EXPIRATION_MILLIS));
    }

    @Test
    void refusesToEncodeACharacterThatIsNotAnOctet() {
      RequestEnvelope wide = request(List.of(new Header("x-name", "snowman \u2603")), new byte[0]);
      org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
          .isThrownBy(() -> EnvelopeCodec.encodeRequest(wide))
          .withMessageContaining("U+2603");
    }

    @Test
    void expiresAtLeastOneMillisecondAfterSending() {
      RequestEnvelope late =
          new RequestEnvelope(
              CallKind.HTTP,
              "GET",
              "/",
              List.of(),
              new byte[0],
              "m",
              "c",
              "ferry.reply.r",
              SENT_AT,
              SENT_AT - 5);
      assertThat(EnvelopeCodec.encodeRequest(late).properties().getExpiration()).isEqualTo("1");
    }

    @Test
    void setsTheResponseProperties() {
      AMQP.BasicProperties properties =
          EnvelopeCodec.encodeResponse(response(), SENT_AT + 999).properties();
      assertThat(properties.getType()).isEqualTo("ferry.response");
      assertThat(properties.getDeliveryMode()).isEqualTo(1);
      assertThat(properties.getCorrelationId()).isEqualTo(CORRELATION_ID);
      assertThat(properties.getTimestamp()).isEqualTo(new Date(1_700_000_001_000L));
      assertThat(properties.getMessageId()).isNull();
      assertThat(properties.getReplyTo()).isNull();
      assertThat(properties.getExpiration()).isNull();
      assertThat(properties.getHeaders())
          .containsEntry("ferry-status", 200)
          .containsEntry("ferry-queue-ms", 5L)
          .doesNotContainKey("ferry-error");
    }

    @Test
    void marksAnErrorReplyAndExplainsItInPlainText() {
      ResponseEnvelope reply =
          ResponseEnvelope.ofError(CORRELATION_ID, FerryError.TIMEOUT, "no reply within 1500ms", 7);
      AmqpMessage message = EnvelopeCodec.encodeResponse(reply, SENT_AT);
      // an ASCII long string is handed to the amqp-client as a String (same octets on the wire;
      // GoldenVectorsTest pins those byte for byte)
      assertThat(message.properties().getHeaders()).containsEntry("ferry-error", "timeout");
      assertThat(message.properties().getHeaders()).containsEntry("ferry-status", 504);
      assertThat(reply.headers())
          .containsExactly(new Header("content-type", "text/plain; charset=utf-8"));
      assertThat(new String(message.body(), StandardCharsets.UTF_8))
          .isEqualTo("ferry: timeout: no reply within 1500ms\n");
    }
  }

  @Nested
  class DecodingARequest {
    @Test
    void rejectsAMessageWithoutHeaders() {
      AMQP.BasicProperties properties =
          EnvelopeCodec.encodeRequest(request()).properties().builder().headers(null).build();
      assertProtocolError(rejectedRequest(properties), "headers");
    }

    @Test
    void rejectsAMissingVersion() {
      assertProtocolError(rejectedRequest(requestWith("ferry-version", null)), "ferry-version");
    }

    @Test
    void rejectsAVersionThatIsNotAnInteger() {
      assertProtocolError(
          rejectedRequest(requestWith("ferry-version", longString("1"))), "ferry-version");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, -1})
    void rejectsAnUnknownVersionAsUnsupported(int version) {
      MalformedMessageException e = rejectedRequest(requestWith("ferry-version", version));
      assertThat(e.field()).isEqualTo("ferry-version");
      assertThat(e.error()).isEqualTo(FerryError.UNSUPPORTED_VERSION);
    }

    @Test
    void checksTheVersionBeforeAnythingElse() {
      Map<String, Object> onlyVersion = Map.of("ferry-version", 2);
      AMQP.BasicProperties properties =
          new AMQP.BasicProperties.Builder().type("ferry.request.v2").headers(onlyVersion).build();
      assertThat(rejectedRequest(properties).error()).isEqualTo(FerryError.UNSUPPORTED_VERSION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ferry.response", "", "FERRY.REQUEST"})
    void rejectsAnotherType(String type) {
      AMQP.BasicProperties properties =
          EnvelopeCodec.encodeRequest(request()).properties().builder().type(type).build();
      assertProtocolError(rejectedRequest(properties), "type");
    }

    @Test
    void rejectsAMissingType() {
      AMQP.BasicProperties properties =
          EnvelopeCodec.encodeRequest(request()).properties().builder().type(null).build();
      assertProtocolError(rejectedRequest(properties), "type");
    }

    @ParameterizedTest
    @ValueSource(strings = {"soap", "HTTP", ""})
    void rejectsAnUnknownKind(String kind) {
      assertProtocolError(
          rejectedRequest(requestWith("ferry-kind", longString(kind))), "ferry-kind");
    }

    @Test
    void rejectsAKindThatIsNotALongString() {
      assertProtocolError(rejectedRequest(requestWith("ferry-kind", 1)), "ferry-kind");
    }

    @Test
    void rejectsAMissingMethod() {
      assertProtocolError(rejectedRequest(requestWith("ferry-method", null)), "ferry-method");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "GE T", "GET/", "G(E)T", "G\u00e9T", "GET\r\n"})
    void rejectsAnHttpMethodThatIsNotAToken(String method) {
      assertProtocolError(
          rejectedRequest(requestWith("ferry-method", longString(method))), "ferry-method");
    }

    @Test
    void acceptsAnExtensionMethodToken() throws Exception {
      RequestEnvelope decoded =
          EnvelopeCodec.decodeRequest(
              requestWith("ferry-method", longString("PROPFIND")), new byte[0]);
      assertThat(decoded.method()).isEqualTo("PROPFIND");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/a b", "/a\tb", "/a\u007fb", "/a\0", "/a\r\n"})
    void rejectsABadHttpTarget(String target) {
      assertProtocolError(
          rejectedRequest(requestWith("ferry-target", longString(target))), "ferry-target");
    }

    @Test
    void rejectsAMissingTarget() {
      assertProtocolError(rejectedRequest(requestWith("ferry-target", null)), "ferry-target");
    }

    @Test
    void acceptsATargetWithNonAsciiOctets() throws Exception {
      RequestEnvelope decoded =
          EnvelopeCodec.decodeRequest(
              requestWith("ferry-target", longString("/r\u00e9sum\u00e9?q=\u00ff")), new byte[0]);
      assertThat(decoded.target()).isEqualTo("/r\u00e9sum\u00e9?q=\u00ff");
    }

    @Test
    void rejectsMissingHeaderFields() {
      assertProtocolError(rejectedRequest(requestWith("ferry-headers", null)), "ferry-headers");
    }

    @Test
    void rejectsHeaderFieldsThatAreNotAnArray() {
      assertProtocolError(
          rejectedRequest(requestWith("ferry-headers", longString("Host: svc"))), "ferry-headers");
    }

    @Test
    void rejectsAnOddNumberOfHeaderElements() {
      List<Object> odd = array(longString("Host"), longString("svc"), longString("Accept"));
      assertProtocolError(rejectedRequest(requestWith("ferry-headers", odd)), "ferry-headers");
    }

    @Test
    void acceptsAtMostTheMaximumNumberOfHeaderFields() throws Exception {
      List<Object> most = new ArrayList<>();
      for (int i = 0; i < EnvelopeCodec.MAX_HEADER_FIELDS; i++) {
        most.add(longString("X-" + i));
        most.add(longString("v"));
      }
      RequestEnvelope decoded =
          EnvelopeCodec.decodeRequest(requestWith("ferry-headers", most), new byte[0]);
      assertThat(decoded.headers()).hasSize(1024);

      most.add(longString("X-one-more"));
      most.add(longString("v"));
      assertProtocolError(rejectedRequest(requestWith("ferry-headers", most)), "ferry-headers");
    }

    @Test
    void rejectsAHeaderElementThatIsNotALongString() {
      List<Object> elements = array(longString("Host"), longString("svc"), longString("X-N"), 5);
      assertProtocolError(
          rejectedRequest(requestWith("ferry-headers", elements)), "ferry-headers[3]");
    }

    @Test
    void rejectsAnEmptyHeaderName() {
      List<Object> elements = array(longString(""), longString("v"));
      assertProtocolError(
          rejectedRequest(requestWith("ferry-headers", elements)), "ferry-headers[0]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"X Name", "X:Name", "X-N\u00e9", "X\tN", "(x)"})
    void rejectsAHeaderNameThatIsNotAToken(String name) {
      List<Object> elements =
          array(longString("Host"), longString("svc"), longString(name), longString("v"));
      assertProtocolError(
          rejectedRequest(requestWith("ferry-headers", elements)), "ferry-headers[2]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\rb", "a\nb", "a\r\nInjected: yes", "a\0"})
    void rejectsCrLfOrNulInAHeaderValue(String value) {
      List<Object> elements = array(longString("X-A"), longString(value));
      assertProtocolError(
          rejectedRequest(requestWith("ferry-headers", elements)), "ferry-headers[1]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"message_id", "correlation_id", "reply_to"})
    void rejectsAMissingOrEmptyIdProperty(String property) {
      AMQP.BasicProperties.Builder missing =
          EnvelopeCodec.encodeRequest(request()).properties().builder();
      AMQP.BasicProperties.Builder empty =
          EnvelopeCodec.encodeRequest(request()).properties().builder();
      switch (property) {
        case "message_id" -> {
          missing.messageId(null);
          empty.messageId("");
        }
        case "correlation_id" -> {
          missing.correlationId(null);
          empty.correlationId("");
        }
        default -> {
          missing.replyTo(null);
          empty.replyTo("");
        }
      }
      assertProtocolError(rejectedRequest(missing.build()), property);
      assertProtocolError(rejectedRequest(empty.build()), property);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ferry.req.other", "amq.gen-x", "ferry.reply."})
    void rejectsAReplyQueueThatIsNotAFerryReplyQueue(String replyTo) {
      AMQP.BasicProperties properties =
          EnvelopeCodec.encodeRequest(request()).properties().builder().replyTo(replyTo).build();
      assertProtocolError(rejectedRequest(properties), "reply_to");
    }

    @Test
    void rejectsANegativeSendingTime() {
      assertProtocolError(rejectedRequest(requestWith("ferry-sent-at", -1L)), "ferry-sent-at");
    }

    @Test
    void rejectsASendingTimeThatIsNotAnInteger() {
      assertProtocolError(
          rejectedRequest(requestWith("ferry-sent-at", new Date(SENT_AT))), "ferry-sent-at");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1})
    void rejectsANonPositiveDeadline(long deadline) {
      assertProtocolError(
          rejectedRequest(requestWith("ferry-deadline", deadline)), "ferry-deadline");
    }

    @Test
    void rejectsAMissingDeadline() {
      assertProtocolError(rejectedRequest(requestWith("ferry-deadline", null)), "ferry-deadline");
    }

    @Test
    void acceptsADeadlineThatHasPassed() throws Exception {
      RequestEnvelope decoded =
          EnvelopeCodec.decodeRequest(requestWith("ferry-deadline", 1L), new byte[0]);
      assertThat(decoded.remainingMillis(SENT_AT)).isNegative();
    }
  }

  @Nested
  class DecodingAResponse {
    @Test
    void rejectsAMessageWithoutHeaders() {
      AMQP.BasicProperties properties =
          EnvelopeCodec.encodeResponse(response(), SENT_AT)
              .properties()
              .builder()
              .headers(null)
              .build();
      assertProtocolError(rejectedResponse(properties), "headers");
    }

    @Test
    void rejectsAnUnknownVersionAsUnsupported() {
      MalformedMessageException e = rejectedResponse(responseWith("ferry-version", 2));
      assertThat(e.field()).isEqualTo("ferry-version");
      assertThat(e.error()).isEqualTo(FerryError.UNSUPPORTED_VERSION);
    }

    @Test
    void rejectsARequest() {
      AmqpMessage message = EnvelopeCodec.encodeRequest(request());
      MalformedMessageException e =
          catchThrowableOfType(
              MalformedMessageException.class,
              () -> EnvelopeCodec.decodeResponse(message.properties(), message.body()));
      assertProtocolError(e, "type");
    }

    @Test
    void rejectsAMissingStatus() {
      assertProtocolError(rejectedResponse(responseWith("ferry-status", null)), "ferry-status");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 99, 1000, -200})
    void rejectsAStatusOutOfRange(int status) {
      assertProtocolError(rejectedResponse(responseWith("ferry-status", status)), "ferry-status");
    }

    @ParameterizedTest
    @ValueSource(ints = {100, 999})
    void acceptsTheStatusBounds(int status) throws Exception {
      assertThat(EnvelopeCodec.decodeResponse(responseWith("ferry-status", status), null).status())
          .isEqualTo(status);
    }

    @Test
    void rejectsAStatusThatIsNotAnInteger() {
      assertProtocolError(
          rejectedResponse(responseWith("ferry-status", longString("200"))), "ferry-status");
    }

    @Test
    void rejectsAnUnknownErrorCode() {
      assertProtocolError(
          rejectedResponse(responseWith("ferry-error", longString("exploded"))), "ferry-error");
    }

    @Test
    void rejectsAnErrorCodeThatIsNotALongString() {
      assertProtocolError(rejectedResponse(responseWith("ferry-error", 504)), "ferry-error");
    }

    @Test
    void rejectsANegativeQueueTime() {
      assertProtocolError(rejectedResponse(responseWith("ferry-queue-ms", -1L)), "ferry-queue-ms");
    }

    @Test
    void readsAnAbsentQueueTimeAsUnknown() throws Exception {
      assertThat(
              EnvelopeCodec.decodeResponse(responseWith("ferry-queue-ms", null), null)
                  .queueMillis())
          .isEqualTo(-1);
    }

    @Test
    void appliesTheHeaderFieldRules() {
      List<Object> elements = array(longString("Set-Cookie"), longString("a\nb"));
      assertProtocolError(
          rejectedResponse(responseWith("ferry-headers", elements)), "ferry-headers[1]");
    }

    @Test
    void rejectsAMissingCorrelationId() {
      AMQP.BasicProperties properties =
          EnvelopeCodec.encodeResponse(response(), SENT_AT)
              .properties()
              .builder()
              .correlationId(null)
              .build();
      assertProtocolError(rejectedResponse(properties), "correlation_id");
    }
  }
}
