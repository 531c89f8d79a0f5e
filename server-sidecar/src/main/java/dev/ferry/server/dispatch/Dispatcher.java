package dev.ferry.server.dispatch;

import com.rabbitmq.client.AMQP;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcCodec;
import dev.ferry.protocol.GrpcFrame;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import dev.ferry.protocol.HopByHop;
import dev.ferry.protocol.MalformedMessageException;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.protocol.ResponseEnvelope;
import dev.ferry.protocol.Topology;
import dev.ferry.server.amqp.AmqpWriter;
import dev.ferry.server.amqp.Delivery;
import dev.ferry.server.grpc.ActiveCalls;
import dev.ferry.server.grpc.GrpcUpstream;
import dev.ferry.server.grpc.ServerGrpcCall;
import dev.ferry.server.resilience.HandedBack;
import dev.ferry.server.resilience.ResilientHttp;
import dev.ferry.server.resilience.UpstreamGuard;
import dev.ferry.server.upstream.UpstreamException;
import dev.ferry.server.upstream.UpstreamRequest;
import dev.ferry.server.upstream.UpstreamResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one delivered request through the server sidecar: decode; skip it if its caller has given
 * up; call the service with the remaining budget; publish the reply to the request's {@code
 * reply_to}; acknowledge only once the broker confirmed the reply. A message that cannot be decoded
 * goes to the dead-letter queue, with an error reply when it names a usable reply queue; so does a
 * poison request, one the broker has already delivered {@code --max-deliveries} times without an
 * answer (counted by quorum queues in {@code x-delivery-count}). A request whose upstream's circuit
 * is open goes back to the queue untouched (see {@link ResilientHttp}). Never blocks: the consumer
 * thread only starts the work.
 */
public final class Dispatcher {
  private static final Logger logger = LoggerFactory.getLogger(Dispatcher.class);
  static final String DEAD_LETTER_REASON = "ferry-dead-letter-reason";
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  static final String FERRY_TIMEOUT = "ferry-timeout";
  static final String FERRY_REDELIVERED = "ferry-redelivered";

  /** The header in which quorum queues count the earlier deliveries of a message. */
  static final String DELIVERY_COUNT = "x-delivery-count";

  /**
   * How often one computed reply is published before its request goes back to the queue. A reply
   * whose publish failed (e.g. its channel was closed under it) is published again as it is: the
   * service is not called a second time.
   */
  static final int REPLY_ATTEMPTS = 3;

  private final MessageSigner signer;
  private final String requestQueue;
  private final String deadLetterQueue;
  private final AmqpWriter writer;
  private final ResilientHttp upstream;
  private final DispatchMetrics metrics;
  private final InFlight inFlight;
  private final long maxBodySize;
  private final int maxDeliveries;

  /** The reply cache holds at most this many bytes of bodies. */
  static final long REPLY_CACHE_BYTES = 64L * 1024 * 1024;

  private final ServerGrpcCall.Context grpc;
  private final ReplyCache replies;

  /**
   * A dispatcher that calls {@code upstream} and publishes through {@code writer}; a response body
   * over {@code maxBodySize} bytes (the {@code --max-body-size}) is never published, and a request
   * delivered {@code maxDeliveries} times before (the {@code --max-deliveries}; 0: no limit) is
   * dead-lettered instead of run again. {@code grpcGuard} guards the calls to {@code grpcUpstream}.
   */
  public Dispatcher(
      String service,
      AmqpWriter writer,
      ResilientHttp upstream,
      DispatchMetrics metrics,
      InFlight inFlight,
      long maxBodySize,
      GrpcUpstream grpcUpstream,
      String callAddress,
      ActiveCalls activeCalls,
      int replyCacheEntries,
      int maxDeliveries,
      UpstreamGuard grpcGuard,
      MessageSigner signer) {
    this.signer = signer;
    this.requestQueue = Topology.requestQueue(service);
    this.maxDeliveries = maxDeliveries;
    this.replies = new ReplyCache(replyCacheEntries, REPLY_CACHE_BYTES);
    this.grpc =
        grpcUpstream == null
            ? null
            : new ServerGrpcCall.Context(
                writer,
                grpcUpstream,
                callAddress,
                activeCalls,
                inFlight::leave,
                metrics::replied,
                metrics::expired,
                grpcGuard,
                metrics::handedBack);
    this.deadLetterQueue = Topology.deadLetterQueue(service);
    this.writer = writer;
    this.upstream = upstream;
    this.metrics = metrics;
    this.inFlight = inFlight;
    this.maxBodySize = maxBodySize;
  }

  /**
   * Starts handling {@code delivery}; returns at once and never throws: whatever goes wrong
   * unexpectedly returns the request to the queue, so that amqp-client never sees an exception (its
   * handler would close the consumer channel).
   */
  public void handle(Delivery delivery) {
    inFlight.enter();
    Settlement settlement = new Settlement(delivery, inFlight);
    try {
      dispatch(delivery, settlement);
    } catch (RuntimeException e) {
      String correlationId =
          delivery.properties() == null ? null : delivery.properties().getCorrelationId();
      failed(settlement, correlationId, e);
    }
  }

  private void dispatch(Delivery delivery, Settlement settlement) {
    try {
      signer.verify(delivery.properties(), delivery.body(), "", requestQueue);
    } catch (MalformedMessageException e) {
      metrics.rejected();
      logger.warn(
          "dead-lettering a request with a bad signature, unanswered correlationId={} problem={}",
          delivery.properties().getCorrelationId(),
          e.getMessage());
      deadLetter(delivery, settlement, e.getMessage(), null, null);
      return;
    }
    RequestEnvelope request;
    try {
      request = EnvelopeCodec.decodeRequest(delivery.properties(), delivery.body());
    } catch (MalformedMessageException e) {
      reject(delivery, settlement, e);
      return;
    }
    long queueMillis = Math.max(0, delivery.receivedAtMillis() - request.sentAtMillis());
    metrics.queued(queueMillis);
    long remaining = request.remainingMillis(System.currentTimeMillis());
    if (remaining <= 0) {
      logger.debug(
          "skipped expired request correlationId={} late_by_ms={}",
          request.correlationId(),
          -remaining);
      metrics.expired();
      settlement.ack();
      return;
    }
    long deliveries = deliveryCount(delivery.properties());
    if (maxDeliveries > 0 && deliveries >= maxDeliveries) {
      poison(delivery, settlement, request, deliveries, queueMillis);
      return;
    }
    if (request.kind() == CallKind.GRPC) {
      startGrpc(delivery, settlement, request, remaining);
      return;
    }
    if (upstream == null) {
      reply(
          settlement,
          request.replyTo(),
          ResponseEnvelope.ofError(
              request.correlationId(),
              FerryError.UPSTREAM_UNAVAILABLE,
              "this server sidecar has no HTTP upstream",
              queueMillis));
      return;
    }
    ResponseEnvelope cached = replies.get(request.messageId(), System.currentTimeMillis());
    if (cached != null) {
      // Delivered again (or published again): the service already answered it.
      logger.debug("answered from the reply cache correlationId={}", request.correlationId());
      metrics.cached();
      publishReply(
          settlement,
          request.replyTo(),
          request.correlationId(),
          EnvelopeCodec.encodeResponse(
              withCorrelationId(cached, request.correlationId()), System.currentTimeMillis()),
          1);
      return;
    }
    long started = System.nanoTime();
    upstream
        .send(
            toUpstream(request, delivery.redelivered(), remaining),
            ResilientHttp.isIdempotent(request.method(), request.headers()))
        .whenComplete(
            (response, failure) -> {
              try {
                if (unwrap(failure) instanceof HandedBack) {
                  handBack(settlement, request.correlationId());
                  return;
                }
                metrics.upstreamTime(System.nanoTime() - started);
                ResponseEnvelope reply = toReply(request, response, failure, queueMillis);
                if (reply.error() == null) {
                  replies.put(request.messageId(), reply, request.deadlineMillis());
                }
                reply(settlement, request.replyTo(), reply);
              } catch (RuntimeException e) {
                failed(settlement, request.correlationId(), e);
              }
            });
  }

  /** The circuit is open: the request goes back to the queue, for a healthy replica to take. */
  private void handBack(Settlement settlement, String correlationId) {
    logger.debug("circuit open, returning request to the queue correlationId={}", correlationId);
    metrics.handedBack();
    settlement.requeue();
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  private static ResponseEnvelope withCorrelationId(ResponseEnvelope reply, String correlationId) {
    return new ResponseEnvelope(
        correlationId, reply.status(), reply.headers(), reply.body(), null, reply.queueMillis());
  }

  private void startGrpc(
      Delivery delivery, Settlement settlement, RequestEnvelope request, long remaining) {
    GrpcCodec.Start start;
    try {
      start = GrpcCodec.decodeStart(request, delivery.properties());
    } catch (MalformedMessageException e) {
      reject(delivery, settlement, e);
      return;
    }
    if (grpc == null) {
      metrics.replied(FerryError.UPSTREAM_UNAVAILABLE);
      GrpcStatus status =
          sidecarStatus(
              FerryError.UPSTREAM_UNAVAILABLE, "this server sidecar has no gRPC upstream");
      AmqpMessage frame =
          GrpcCodec.encodeFrame(
              GrpcFrame.of(request.correlationId(), 0)
                  .withStatus(status, FerryError.UPSTREAM_UNAVAILABLE),
              System.currentTimeMillis());
      publishReply(settlement, request.replyTo(), request.correlationId(), frame, 1);
      return;
    }
    // The call settles its delivery itself: acked once its first frame is confirmed.
    new ServerGrpcCall(grpc, start, delivery).begin(remaining);
  }

  /** A status made by this sidecar, marked with the ferry-error trailer. */
  private static GrpcStatus sidecarStatus(FerryError error, String detail) {
    return new GrpcStatus(
        error.grpcCode(),
        "ferry: " + error.code() + ": " + detail,
        List.of(new Header("ferry-error", error.code())));
  }

  /** A bug, not an outcome: logged with its trace, and the request goes back to the queue. */
  private static void failed(Settlement settlement, String correlationId, RuntimeException e) {
    logger.warn(
        "handling a request failed, returning it to the queue correlationId={}", correlationId, e);
    settlement.requeue();
  }

  static UpstreamRequest toUpstream(
      RequestEnvelope request, boolean redelivered, long remainingMillis) {
    List<Header> headers = new ArrayList<>(request.headers().size() + 3);
    boolean hasKey = false;
    for (Header header : HopByHop.strip(request.headers())) {
      String name = header.name();
      if (name.equalsIgnoreCase("content-length")
          || name.equalsIgnoreCase(FERRY_TIMEOUT)
          || name.equalsIgnoreCase(FERRY_REDELIVERED)) {
        continue;
      }
      hasKey |= name.equalsIgnoreCase(IDEMPOTENCY_KEY);
      headers.add(header);
    }
    headers.add(new Header(FERRY_TIMEOUT, remainingMillis + "ms"));
    if (!hasKey) {
      headers.add(new Header(IDEMPOTENCY_KEY, request.messageId()));
    }
    if (redelivered) {
      headers.add(new Header(FERRY_REDELIVERED, "true"));
    }
    return new UpstreamRequest(
        request.method(), request.target(), headers, request.body(), remainingMillis);
  }

  private ResponseEnvelope toReply(
      RequestEnvelope request, UpstreamResponse response, Throwable failure, long queueMillis) {
    if (response != null) {
      if (response.body().length > maxBodySize) {
        // The upstream aggregator already refuses such a body; a reply this large must never
        // reach the broker, whose refusal would close the publishing channel.
        return ResponseEnvelope.ofError(
            request.correlationId(),
            FerryError.UPSTREAM_INVALID,
            "response body of "
                + response.body().length
                + " bytes (at most "
                + maxBodySize
                + ", --max-body-size)",
            queueMillis);
      }
      List<Header> headers = HopByHop.strip(response.headers());
      if (!EnvelopeCodec.fitsHeaderLimit(headers)) {
        return ResponseEnvelope.ofError(
            request.correlationId(),
            FerryError.UPSTREAM_INVALID,
            headers.size()
                + " response header fields (at most "
                + EnvelopeCodec.MAX_HEADER_FIELDS
                + ")",
            queueMillis);
      }
      return new ResponseEnvelope(
          request.correlationId(), response.status(), headers, response.body(), null, queueMillis);
    }
    Throwable cause = unwrap(failure);
    FerryError error =
        cause instanceof UpstreamException upstreamFailure
            ? upstreamFailure.error()
            : FerryError.UPSTREAM_UNAVAILABLE;
    logger.debug(
        "upstream call failed correlationId={} error={} cause={}",
        request.correlationId(),
        error.code(),
        cause.getMessage());
    return ResponseEnvelope.ofError(
        request.correlationId(), error, cause.getMessage(), queueMillis);
  }

  /** Publishes the reply, then acks the request once the broker has confirmed the reply. */
  private void reply(Settlement settlement, String replyTo, ResponseEnvelope reply) {
    metrics.replied(reply.error());
    AmqpMessage message = EnvelopeCodec.encodeResponse(reply, System.currentTimeMillis());
    publishReply(settlement, replyTo, reply.correlationId(), message, 1);
  }

  /**
   * Publishes {@code message}, the reply already computed; when the broker does not confirm it,
   * publishes it again (the writer reopens a lost channel first), and only after {@link
   * #REPLY_ATTEMPTS} failures returns the request to the queue, with one WARN.
   */
  private void publishReply(
      Settlement settlement,
      String replyTo,
      String correlationId,
      AmqpMessage message,
      int attempt) {
    writer.publish(
        replyTo,
        message,
        AmqpWriter.Confirmation.of(
            settlement::ack,
            reason -> {
              if (attempt < REPLY_ATTEMPTS) {
                logger.debug(
                    "reply not confirmed, publishing it again correlationId={} attempt={}"
                        + " reason={}",
                    correlationId,
                    attempt,
                    reason);
                publishReply(settlement, replyTo, correlationId, message, attempt + 1);
              } else {
                logger.warn(
                    "reply not confirmed after {} attempts, returning request to the queue"
                        + " correlationId={} reason={}",
                    attempt,
                    correlationId,
                    reason);
                settlement.requeue();
              }
            }));
  }

  /**
   * How often the broker delivered this message before, from a quorum queue's {@code
   * x-delivery-count} (any integer type); 0 when there is none (classic queues do not count).
   */
  static long deliveryCount(AMQP.BasicProperties properties) {
    Map<String, Object> headers = properties == null ? null : properties.getHeaders();
    Object count = headers == null ? null : headers.get(DELIVERY_COUNT);
    return count instanceof Number number ? number.longValue() : 0;
  }

  /**
   * Dead-letters a request that has crashed or failed its consumers {@code deliveries} times,
   * without calling the service again, answers its caller with {@code upstream-invalid}, and acks
   * it.
   */
  private void poison(
      Delivery delivery,
      Settlement settlement,
      RequestEnvelope request,
      long deliveries,
      long queueMillis) {
    metrics.poison();
    logger.warn(
        "dead-lettering poison request correlationId={} deliveries={}",
        request.correlationId(),
        deliveries);
    String detail = "the request was delivered " + deliveries + " times without an answer (poison)";
    AmqpMessage errorReply =
        request.kind() == CallKind.GRPC
            ? errorReply(
                delivery.properties(), request.correlationId(), FerryError.UPSTREAM_INVALID, detail)
            : EnvelopeCodec.encodeResponse(
                ResponseEnvelope.ofError(
                    request.correlationId(), FerryError.UPSTREAM_INVALID, detail, queueMillis),
                System.currentTimeMillis());
    deadLetter(
        delivery, settlement, "delivered " + deliveries + " times", request.replyTo(), errorReply);
  }

  /** Dead-letters an undecodable message, answers its caller when possible, and acks it. */
  private void reject(Delivery delivery, Settlement settlement, MalformedMessageException problem) {
    metrics.malformed();
    AMQP.BasicProperties original = delivery.properties();
    logger.warn(
        "dead-lettering malformed request correlationId={} problem={}",
        original.getCorrelationId(),
        problem.getMessage());
    String replyTo = original.getReplyTo();
    String correlationId = original.getCorrelationId();
    AmqpMessage errorReply = null;
    if (replyTo != null
        && replyTo.startsWith(Topology.REPLY_PREFIX)
        && correlationId != null
        && !correlationId.isEmpty()) {
      // Encoded before anything is published, so that a failure here leaves nothing half done.
      errorReply = errorReply(original, correlationId, problem.error(), problem.getMessage());
    }
    deadLetter(delivery, settlement, problem.getMessage(), replyTo, errorReply);
  }

  /**
   * Publishes the delivery to the dead-letter queue with {@code reason}, acks it once that is
   * confirmed (or refused: it is dropped then), and publishes {@code errorReply}, when there is
   * one, to {@code replyTo} without waiting for its confirmation.
   */
  private void deadLetter(
      Delivery delivery,
      Settlement settlement,
      String reason,
      String replyTo,
      AmqpMessage errorReply) {
    AMQP.BasicProperties original = delivery.properties();
    Map<String, Object> headers =
        original.getHeaders() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(original.getHeaders());
    headers.put(DEAD_LETTER_REASON, reason);
    AMQP.BasicProperties deadLetter = original.builder().headers(headers).expiration(null).build();
    writer.publish(
        deadLetterQueue,
        new AmqpMessage(deadLetter, delivery.body()),
        AmqpWriter.Confirmation.of(
            settlement::ack,
            failure -> {
              logger.warn(
                  "dead letter not confirmed, dropping the request reason={} failure={}",
                  reason,
                  failure);
              settlement.ack();
            }));
    if (errorReply != null) {
      writer.publish(replyTo, errorReply, IGNORE);
    }
  }

  /** The error a caller gets from this sidecar: a frame for gRPC, else a response. */
  private static AmqpMessage errorReply(
      AMQP.BasicProperties original, String correlationId, FerryError error, String detail) {
    long now = System.currentTimeMillis();
    Object kind =
        original.getHeaders() == null ? null : original.getHeaders().get(EnvelopeCodec.H_KIND);
    if (kind != null && CallKind.GRPC.wireName().equals(kind.toString())) {
      GrpcStatus status = sidecarStatus(error, detail);
      return GrpcCodec.encodeFrame(GrpcFrame.of(correlationId, 0).withStatus(status, error), now);
    }
    return EnvelopeCodec.encodeResponse(
        ResponseEnvelope.ofError(correlationId, error, detail, -1), now);
  }

  private static final AmqpWriter.Confirmation IGNORE =
      AmqpWriter.Confirmation.of(() -> {}, reason -> {});
}
