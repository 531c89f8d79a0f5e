package dev.ferry.protocol;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.impl.LongStringHelper;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encodes and decodes the gRPC parts of the protocol: the extra headers of a call's start (a
 * request envelope of kind {@code grpc}) and the {@code ferry.grpc} frames that follow. Stateless.
 */
public final class GrpcCodec {
  public static final String TYPE_FRAME = "ferry.grpc";

  public static final String H_MESSAGES = "ferry-grpc-messages";
  public static final String H_HALF_CLOSE = "ferry-grpc-half-close";
  public static final String H_CREDIT = "ferry-credit";
  public static final String H_SEQ = "ferry-seq";
  public static final String H_CALL_ADDRESS = "ferry-call-address";
  public static final String H_CANCEL = "ferry-grpc-cancel";
  public static final String H_STATUS = "ferry-grpc-status";
  public static final String H_STATUS_MESSAGE = "ferry-grpc-message";
  public static final String H_TRAILERS = "ferry-grpc-trailers";

  /** The most credit one frame may grant. */
  public static final int MAX_CREDIT = 1 << 20;

  private GrpcCodec() {}

  /** A call's start: the request envelope and what travels with it. */
  public record Start(RequestEnvelope request, byte[] message, boolean halfClose, int credit) {}

  /**
   * Encodes the start of a gRPC call: {@code request} (kind grpc; its body is the first message
   * when {@code message} is not null), whether the client has already half-closed, and how many
   * response messages it can take before it grants more.
   */
  public static AmqpMessage encodeStart(
      RequestEnvelope request, boolean hasMessage, boolean halfClose, int credit) {
    AmqpMessage envelope = EnvelopeCodec.encodeRequest(request);
    Map<String, Object> headers = new LinkedHashMap<>(envelope.properties().getHeaders());
    headers.put(H_MESSAGES, hasMessage ? 1 : 0);
    headers.put(H_HALF_CLOSE, halfClose);
    headers.put(H_CREDIT, credit);
    return new AmqpMessage(
        envelope.properties().builder().headers(headers).build(), envelope.body());
  }

  /** Decodes a call's start; the request must be of kind grpc. */
  public static Start decodeStart(RequestEnvelope request, AMQP.BasicProperties properties)
      throws MalformedMessageException {
    if (request.kind() != CallKind.GRPC) {
      throw MalformedMessageException.of(EnvelopeCodec.H_KIND, "not a gRPC call");
    }
    Map<String, Object> headers = Fields.headers(properties);
    boolean hasMessage = Fields.integer(headers, H_MESSAGES, 0, 1, 0) == 1;
    if (!hasMessage && request.body().length > 0) {
      throw MalformedMessageException.of(H_MESSAGES, "0 but the body is not empty");
    }
    return new Start(
        request,
        hasMessage ? request.body() : null,
        Fields.flag(headers, H_HALF_CLOSE),
        (int) Fields.integer(headers, H_CREDIT, 0, MAX_CREDIT, 0));
  }

  /** Encodes a frame; replies and frames are transient. */
  public static AmqpMessage encodeFrame(GrpcFrame frame, long nowMillis) {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put(EnvelopeCodec.H_VERSION, EnvelopeCodec.VERSION);
    headers.put(H_SEQ, frame.seq());
    if (frame.callAddress() != null) {
      headers.put(H_CALL_ADDRESS, EnvelopeCodec.bytes(frame.callAddress()));
    }
    if (frame.headers() != null) {
      headers.put(EnvelopeCodec.H_HEADERS, EnvelopeCodec.encodeHeaders(frame.headers()));
    }
    headers.put(H_MESSAGES, frame.message() == null ? 0 : 1);
    if (frame.halfClose()) {
      headers.put(H_HALF_CLOSE, true);
    }
    if (frame.credit() > 0) {
      headers.put(H_CREDIT, frame.credit());
    }
    if (frame.cancel()) {
      headers.put(H_CANCEL, true);
    }
    if (frame.status() != null) {
      headers.put(H_STATUS, frame.status().code());
      headers.put(
          H_STATUS_MESSAGE,
          LongStringHelper.asLongString(frame.status().message().getBytes(StandardCharsets.UTF_8)));
      headers.put(H_TRAILERS, EnvelopeCodec.encodeHeaders(frame.status().trailers()));
    }
    if (frame.error() != null) {
      headers.put(EnvelopeCodec.H_ERROR, EnvelopeCodec.bytes(frame.error().code()));
    }
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .type(TYPE_FRAME)
            .correlationId(frame.callId())
            .timestamp(new Date(nowMillis / 1000 * 1000))
            .deliveryMode(1)
            .headers(headers)
            .build();
    return new AmqpMessage(properties, frame.message() == null ? new byte[0] : frame.message());
  }

  /** Decodes a frame, or names the first thing that is wrong with it. */
  public static GrpcFrame decodeFrame(AMQP.BasicProperties properties, byte[] body)
      throws MalformedMessageException {
    Map<String, Object> headers = Fields.headers(properties);
    Fields.checkVersion(headers);
    Fields.checkType(properties, TYPE_FRAME);
    byte[] payload = body == null ? new byte[0] : body;
    boolean hasMessage = Fields.integer(headers, H_MESSAGES, 0, 1, 0) == 1;
    if (!hasMessage && payload.length > 0) {
      throw MalformedMessageException.of(H_MESSAGES, "0 but the body is not empty");
    }
    GrpcStatus status = null;
    FerryError error = null;
    if (headers.containsKey(H_STATUS)) {
      status =
          new GrpcStatus(
              (int) Fields.integer(headers, H_STATUS, 0, 16, 0),
              Fields.utf8(headers, H_STATUS_MESSAGE),
              Fields.headerList(headers, H_TRAILERS, true));
      if (headers.containsKey(EnvelopeCodec.H_ERROR)) {
        String code = Fields.string(headers, EnvelopeCodec.H_ERROR);
        error = FerryError.fromCode(code);
        if (error == null) {
          throw MalformedMessageException.of(
              EnvelopeCodec.H_ERROR, "unknown error code '" + code + "'");
        }
      }
    }
    String address =
        headers.containsKey(H_CALL_ADDRESS)
            ? Fields.queueName(
                H_CALL_ADDRESS, Fields.string(headers, H_CALL_ADDRESS), Topology.CALL_PREFIX)
            : null;
    return new GrpcFrame(
        Fields.property("correlation_id", properties.getCorrelationId()),
        Fields.nonNegative(H_SEQ, Fields.integer(headers, H_SEQ)),
        address,
        headers.containsKey(EnvelopeCodec.H_HEADERS)
            ? Fields.headerList(headers, EnvelopeCodec.H_HEADERS, true)
            : null,
        hasMessage ? payload : null,
        Fields.flag(headers, H_HALF_CLOSE),
        (int) Fields.integer(headers, H_CREDIT, 0, MAX_CREDIT, 0),
        Fields.flag(headers, H_CANCEL),
        status,
        error);
  }
}
