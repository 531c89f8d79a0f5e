package dev.ferry.client;

import com.rabbitmq.client.Connection;
import dev.ferry.client.amqp.PendingCall;
import dev.ferry.client.amqp.PendingCalls;
import dev.ferry.client.amqp.ReplyConsumer;
import dev.ferry.client.amqp.RequestPublisher;
import dev.ferry.client.amqp.StreamCall;
import dev.ferry.client.amqp.StreamRegistry;
import dev.ferry.common.AmqpConnector;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.Header;
import dev.ferry.protocol.HopByHop;
import dev.ferry.protocol.Ids;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.protocol.ResponseEnvelope;
import dev.ferry.protocol.Topology;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes request/response calls to Ferry services over RabbitMQ: the library the client sidecar is
 * built on, usable in-process by JVM applications.
 *
 * <p>{@link #call} never blocks and its future always completes, exactly once, within the call's
 * timeout: with the service's answer, or with a {@link ResponseEnvelope} whose {@link
 * ResponseEnvelope#error()} names the sidecar error (the future never completes exceptionally).
 * Thread-safe. Owns its broker connection, threads and reply queue; {@link #close()} fails what is
 * still pending and releases them.
 *
 * <pre>{@code
 * try (FerryClient ferry = FerryClient.connect(FerryClientConfig.of("amqp://guest:guest@localhost"),
 *     new SimpleMeterRegistry())) {
 *   ResponseEnvelope response = ferry.call(FerryCall.http("echo", "GET", "/hello", List.of(),
 *       new byte[0], Duration.ofSeconds(5))).join();
 * }
 * }</pre>
 */
public final class FerryClient implements Caller, AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(FerryClient.class);

  private final FerryClientConfig config;
  private final AmqpConnector connector;
  private final ScheduledExecutorService timer;
  private final PendingCalls pending;
  private final RequestPublisher publisher;
  private final ReplyConsumer replies;
  private final ClientMetrics metrics;
  private final StreamRegistry streams;
  private final StreamCall.StreamContext streamContext;
  private volatile boolean closing;

  private FerryClient(
      FerryClientConfig config,
      AmqpConnector connector,
      ScheduledExecutorService timer,
      PendingCalls pending,
      RequestPublisher publisher,
      ReplyConsumer replies,
      ClientMetrics metrics,
      StreamRegistry streams,
      StreamCall.StreamContext streamContext) {
    this.streams = streams;
    this.streamContext = streamContext;
    this.config = config;
    this.connector = connector;
    this.timer = timer;
    this.pending = pending;
    this.publisher = publisher;
    this.replies = replies;
    this.metrics = metrics;
  }

  /**
   * Connects to the broker (retrying while it is unreachable), declares this instance's reply queue
   * and starts consuming it.
   */
  public static FerryClient connect(FerryClientConfig config, MeterRegistry registry)
      throws IOException, InterruptedException {
    AmqpConnector connector = new AmqpConnector(config.amqpUri(), config.connectionName());
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread thread = new Thread(runnable, "ferry-deadlines");
              thread.setDaemon(true);
              return thread;
            });
    timer.setRemoveOnCancelPolicy(true);
    ExecutorService callbacks =
        Executors.newCachedThreadPool(
            runnable -> {
              Thread thread = new Thread(runnable, "ferry-stream-events");
              thread.setDaemon(true);
              return thread;
            });
    try {
      Connection connection = connector.connect();
      PendingCalls pending = new PendingCalls(config.maxPending(), config.maxPendingBytes(), timer);
      StreamRegistry streams = new StreamRegistry();
      ReplyConsumer replies =
          new ReplyConsumer(connection, Ids.random128(), pending, streams, config.signer());
      replies.start();
      ClientMetrics metrics = new ClientMetrics(registry, pending, replies, connector);
      RequestPublisher publisher =
          new RequestPublisher(
              connection,
              config.queueType(),
              (correlationId, detail) -> {
                if (!pending.fail(correlationId, FerryError.NO_ROUTE, detail)) {
                  streams.returned(correlationId, detail);
                }
              },
              connector::blockedReason,
              config.signer(),
              metrics::confirmed);
      publisher.start();
      connector.onRecovery(publisher::forgetDeclarations);
      connector.onRecovery(publisher::republishHeld);
      StreamCall.StreamContext streamContext =
          new StreamCall.StreamContext(
              publisher, replies.queue(), streams, timer, callbacks, metrics::streamEnded);
      return new FerryClient(
          config, connector, timer, pending, publisher, replies, metrics, streams, streamContext);
    } catch (IOException | InterruptedException | RuntimeException e) {
      connector.close();
      timer.shutdownNow();
      callbacks.shutdownNow();
      throw e;
    }
  }

  /** Declares {@code service}'s request queue now rather than before its first call. */
  public void declare(String service) throws IOException {
    publisher.declare(Topology.checkServiceName(service));
  }

  /** Sends {@code call} and returns its outcome; see the class comment. */
  @Override
  public CompletableFuture<ResponseEnvelope> call(FerryCall call) {
    long timeoutMillis = Math.max(1, call.timeout().toMillis());
    String correlationId = Ids.random128();
    String methodClass = ClientMetrics.methodClass(call.kind(), call.method());
    FerryError refusal = admissionError();
    if (refusal != null) {
      metrics.refused(call.service(), methodClass, refusal);
      return CompletableFuture.completedFuture(
          ResponseEnvelope.ofError(correlationId, refusal, refusalDetail(refusal), -1));
    }
    PendingCall pendingCall =
        pending.register(correlationId, call.service(), timeoutMillis, call.body().length);
    if (pendingCall == null) {
      metrics.refused(call.service(), methodClass, FerryError.OVERLOADED);
      return CompletableFuture.completedFuture(
          ResponseEnvelope.ofError(
              correlationId, FerryError.OVERLOADED, "too many pending requests or bytes", -1));
    }
    long now = System.currentTimeMillis();
    RequestEnvelope request =
        new RequestEnvelope(
            call.kind(),
            call.method(),
            call.target(),
            HopByHop.strip(call.headers()),
            call.body(),
            Ids.random128(),
            correlationId,
            replies.queue(),
            now,
            now + timeoutMillis);
    publisher.publish(
        RequestPublisher.Outgoing.request(
            call.service(), EnvelopeCodec.encodeRequest(request), pendingCall));
    CompletableFuture<ResponseEnvelope> future = pendingCall.future();
    future.whenComplete(
        (response, failure) -> metrics.completed(pendingCall, methodClass, response));
    return future;
  }

  /**
   * A new gRPC call ({@code fullMethod} is {@code pkg.Service/Method}) to {@code service}, to be
   * started with {@link FerryStream#start()}: as with grpc-java's {@code ClientCall}, the caller
   * holds the stream before any event can reach the listener. {@code singleRequest} says the caller
   * sends exactly one message then half-closes (unary and server-streaming), so that both travel in
   * one AMQP message. Once started, the listener hears everything on {@code events} (null: a pool
   * of the client's), one event at a time and in order, ending with exactly one {@link
   * FerryStreamListener#onClose}, by the timeout at the latest.
   */
  public FerryStream newStream(
      String service,
      String fullMethod,
      List<Header> metadata,
      Duration timeout,
      boolean singleRequest,
      Executor events,
      FerryStreamListener listener) {
    return new StreamCall(
        streamContext,
        service,
        fullMethod,
        metadata,
        Math.max(1, timeout.toMillis()),
        singleRequest,
        events,
        listener,
        this::streamRefusal);
  }

  /** Why a gRPC call that has just registered may not go on, or null when it may. */
  private StreamCall.Refusal streamRefusal() {
    FerryError refusal =
        streams.size() > config.maxPending() ? FerryError.OVERLOADED : admissionError();
    return refusal == null ? null : new StreamCall.Refusal(refusal, refusalDetail(refusal));
  }

  private FerryError admissionError() {
    if (closing) {
      return FerryError.SHUTTING_DOWN;
    }
    if (!connector.isUsable()) {
      return FerryError.BROKER_UNAVAILABLE;
    }
    return null;
  }

  private String refusalDetail(FerryError error) {
    return switch (error) {
      case SHUTTING_DOWN -> "client is shutting down";
      case OVERLOADED -> "too many calls in progress";
      default -> {
        String alarm = connector.blockedReason();
        yield alarm != null ? RequestPublisher.alarmDetail(alarm) : "not connected to the broker";
      }
    };
  }

  /**
   * True when connected to the broker, consuming replies, and not blocked by a broker resource
   * alarm.
   */
  public boolean isReady() {
    return !closing && connector.isUsable() && replies.isConsuming();
  }

  /**
   * Why the broker blocks this client's connection (a memory or disk alarm: {@code low on memory},
   * {@code low on disk space}), or null when it does not. Meanwhile new calls end at once with
   * {@code broker-unavailable}. The broker tells a connection only once it publishes during the
   * alarm: the first call sent then waits in the broker until the alarm clears or its deadline.
   */
  public String brokerAlarm() {
    return connector.blockedReason();
  }

  /** Calls waiting for their reply now. */
  public int pendingCalls() {
    return pending.size();
  }

  /**
   * Stops taking calls and waits up to {@code timeout} for the pending ones to finish (each still
   * ends by its own deadline); returns true when none is left.
   */
  public boolean drain(Duration timeout) throws InterruptedException {
    closing = true;
    long until = System.nanoTime() + timeout.toNanos();
    return pending.awaitEmpty(timeout.toNanos()) && streams.awaitEmpty(until - System.nanoTime());
  }

  /**
   * Fails every pending call with {@code shutting-down} and releases the connection and threads.
   */
  @Override
  public void close() {
    closing = true;
    if (connector.isBlocked()) {
      // The broker reads nothing from a blocked connection: no cancel, close or ack could reach
      // it, and the publisher may be stuck writing. Aborting the connection frees it at once.
      connector.close();
    }
    // Streams first: their cancels must still go out to the server sidecars.
    streams.failAll(FerryError.SHUTTING_DOWN, "client closed");
    publisher.close();
    pending.failAll(FerryError.SHUTTING_DOWN, "client closed");
    replies.close();
    connector.close();
    timer.shutdownNow();
    streamContext.callbacks().shutdownNow();
    logger.debug("ferry client closed late_replies={}", replies.lateReplies());
  }

  FerryClientConfig config() {
    return config;
  }
}
