package dev.ferry.server;

import com.rabbitmq.client.Connection;
import dev.ferry.common.AdminServer;
import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Meters;
import dev.ferry.common.Readiness;
import dev.ferry.common.Sidecar;
import dev.ferry.common.Topologies;
import dev.ferry.protocol.Ids;
import dev.ferry.server.amqp.AmqpWriter;
import dev.ferry.server.amqp.DeliveryGate;
import dev.ferry.server.amqp.RequestConsumer;
import dev.ferry.server.amqp.RequestLimit;
import dev.ferry.server.amqp.StatsPublisher;
import dev.ferry.server.dispatch.DispatchMetrics;
import dev.ferry.server.dispatch.Dispatcher;
import dev.ferry.server.dispatch.InFlight;
import dev.ferry.server.grpc.ActiveCalls;
import dev.ferry.server.grpc.CallQueue;
import dev.ferry.server.grpc.GrpcUpstream;
import dev.ferry.server.resilience.Circuits;
import dev.ferry.server.resilience.ResilientHttp;
import dev.ferry.server.resilience.UpstreamGuard;
import dev.ferry.server.upstream.HttpUpstream;
import dev.ferry.server.upstream.UpstreamProbe;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running server sidecar. Starts admin endpoint, upstream probe, broker connection, queues,
 * upstream client, writer and consumer in that order, and consumes only once the service has
 * accepted a connection (so that a request waiting through a cold start is not answered 502 because
 * the service starts a moment after its sidecar). Stops in reverse: not-ready, stop consuming,
 * finish in-flight requests (publish and confirm their replies, ack) within {@code
 * --drain-timeout}, close. {@link #close()} may run while {@link #start()} still waits (SIGTERM):
 * start then returns without consuming. With {@code --max-requests} it runs that stop itself once
 * it has answered that many requests ({@link #stopped()}).
 */
public final class ServerSidecar implements Sidecar {
  private static final Logger logger = LoggerFactory.getLogger(ServerSidecar.class);
  private static final long PROBE_INTERVAL_MILLIS = 2_000;

  private final ServerConfig config;
  private final Readiness readiness = new Readiness();
  private final PrometheusMeterRegistry registry = Meters.prometheus();
  private final InFlight inFlight = new InFlight();
  private final AmqpConnector connector;
  private final CompletableFuture<Void> stopping = new CompletableFuture<>();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final Object lifecycle = new Object();
  private boolean closed; // Guarded by lifecycle: start() builds nothing once it is set.
  private volatile AdminServer admin;
  private volatile UpstreamProbe probe;
  private volatile UpstreamProbe grpcProbe;
  private volatile HttpUpstream upstream;
  private volatile GrpcUpstream grpcUpstream;
  private volatile CallQueue callQueue;
  private final ActiveCalls activeCalls = new ActiveCalls();
  private volatile AmqpWriter writer;
  private volatile RequestConsumer consumer;
  private volatile StatsPublisher stats;
  private volatile RequestLimit limit;
  private volatile Circuits circuits;
  private volatile boolean started;

  ServerSidecar(ServerConfig config) {
    this.config = config;
    this.connector =
        new AmqpConnector(config.amqpUri(), "ferry-server-sidecar:" + config.service());
  }

  /**
   * Starts everything; blocks while the broker is unreachable and until the service has accepted a
   * connection once. Returns early, consuming nothing, when {@link #close()} runs meanwhile.
   */
  @Override
  public void start() throws IOException, InterruptedException {
    logger.info("starting ferry server sidecar {}", config.describe());
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      readiness.add("started", () -> started);
      admin = AdminServer.start(config.adminHost(), config.adminPort(), readiness, registry);
      if (config.upstream() != null) {
        probe =
            new UpstreamProbe(
                config.upstream().getHost(), config.upstreamPort(), PROBE_INTERVAL_MILLIS);
        readiness.add("upstream", probe::isReachable);
      }
      if (config.upstreamGrpc() != null) {
        grpcProbe =
            new UpstreamProbe(
                config.upstreamGrpcHost(), config.upstreamGrpcPort(), PROBE_INTERVAL_MILLIS);
        readiness.add("upstream-grpc", grpcProbe::isReachable);
      }
    }
    Connection connection = connector.connect(); // Ends with InterruptedException on close().
    Dispatcher dispatcher;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      dispatcher = prepare(connection);
    }
    if (!awaitUpstream()) {
      logger.info("stopped before the upstream accepted a connection");
      return;
    }
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      DeliveryGate gate =
          new DeliveryGate(connector::isBlocked, limit.guarding(dispatcher::handle));
      connector.onUnblocked(gate::release);
      // When the connection is lost, not once it is recovered: see DeliveryGate.
      connector.onConnectionLost(gate::discard);
      consumer.start(gate);
      started = true;
    }
    logger.info("ferry server sidecar ready admin_port={}", admin.port());
  }

  /** Declares the queues and builds what handles requests, all but the consuming itself. */
  private Dispatcher prepare(Connection connection) throws IOException {
    readiness.add("broker", connector::isUsable);
    readiness.add("broker-alarm", () -> !connector.isBlocked());
    Topologies.declareRequestQueue(connection, config.service(), config.queueType());
    Topologies.declareDeadLetterQueue(connection, config.service());
    // In-flight counts for the scaler (PROTOCOL.md section 17); best effort, apart from requests.
    stats =
        StatsPublisher.start(
            connection,
            config.service(),
            config.concurrency(),
            inFlight::count,
            connector::isBlocked,
            config.signer());
    circuits =
        new Circuits(config.circuitSettings(), config.maxRetries(), config.retryBudget(), registry);
    UpstreamGuard httpGuard = probe == null ? null : guard("http", "circuit", probe);
    UpstreamGuard grpcGuard =
        grpcProbe == null ? UpstreamGuard.none("grpc") : guard("grpc", "circuit-grpc", grpcProbe);
    if (config.upstream() != null) {
      upstream = HttpUpstream.create(config.upstream(), (int) config.maxBodySize(), 1);
    }
    if (config.upstreamGrpc() != null) {
      grpcUpstream =
          GrpcUpstream.create(
              config.upstreamGrpcHost(), config.upstreamGrpcPort(), (int) config.maxBodySize());
      callQueue =
          new CallQueue(
              connection, Ids.random128(), config.service(), activeCalls, config.signer());
      readiness.add("call-queue", callQueue::isConsuming);
    }
    writer =
        new AmqpWriter(
            connection,
            activeCalls::returned,
            config.signer(),
            Meters.confirmLatency(registry, "server"));
    readiness.add("writer", writer::isOpen);
    FunctionCounter.builder("ferry.server.replies.returned", writer, AmqpWriter::returnedReplies)
        .description("Replies the broker could not route: their caller's reply queue was gone")
        .tag("service", config.service())
        .register(registry);
    FunctionCounter.builder(
            "ferry.server.grpc.frames.unknown", activeCalls, ActiveCalls::unknownFrames)
        .description(
            "Client frames dropped because their gRPC call does not run here (over, or never"
                + " taken)")
        .tag("service", config.service())
        .register(registry);
    FunctionCounter.builder("ferry.broker.recoveries", connector, AmqpConnector::recoveries)
        .tag("sidecar", "server")
        .register(registry);
    Gauge.builder("ferry.broker.blocked", connector, c -> c.isBlocked() ? 1 : 0)
        .description("1 while the broker blocks the connection (a memory or disk alarm)")
        .tag("sidecar", "server")
        .register(registry);
    consumer =
        new RequestConsumer(
            connection, config.service(), config.queueType(), config.concurrency(), writer);
    readiness.add("consuming", consumer::isConsuming);
    // While a circuit is open, other replicas take the requests (or they wait in the queue).
    limit = new RequestLimit(config.maxRequests(), consumer::intakeChanged, this::stopByItself);
    if (config.maxRequests() > 0) {
      readiness.add("max-requests", limit::isTaking);
    }
    consumer.intake(() -> limit.prefetch(circuits.prefetch(config.concurrency())));
    circuits.onChange(consumer::intakeChanged);
    return new Dispatcher(
        config.service(),
        writer,
        upstream == null ? null : new ResilientHttp(upstream, httpGuard),
        new DispatchMetrics(registry, config.service(), inFlight),
        inFlight,
        config.maxBodySize(),
        grpcUpstream,
        callQueue == null ? null : callQueue.name(),
        activeCalls,
        config.replyCacheEntries(),
        config.maxDeliveries(),
        grpcGuard,
        config.signer());
  }

  /** The breaker and retries of one upstream; not ready ({@code check}) unless it is closed. */
  private UpstreamGuard guard(String kind, String check, UpstreamProbe upstreamProbe) {
    UpstreamGuard guard = circuits.guard(kind, upstreamProbe::check);
    readiness.add(check, guard.breaker()::isClosed);
    return guard;
  }

  /** Waits until the service has accepted a connection once (true) or close() ran (false). */
  private boolean awaitUpstream() throws InterruptedException {
    CompletableFuture<Void> reached =
        CompletableFuture.allOf(
            probe == null ? CompletableFuture.completedFuture(null) : probe.reached(),
            grpcProbe == null ? CompletableFuture.completedFuture(null) : grpcProbe.reached());
    if (!reached.isDone()) {
      logger.info(
          "waiting for the upstream to accept a connection before consuming upstream={}"
              + " upstream_grpc={}",
          config.upstream(),
          config.upstreamGrpc());
    }
    try {
      CompletableFuture.anyOf(reached, stopping).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot fail", e);
    }
    return !stopping.isDone();
  }

  /** The admin endpoint's port; once {@link #start()} has opened it. */
  public int adminPort() {
    AdminServer opened = admin;
    if (opened == null) {
      throw new IllegalStateException("admin endpoint not started yet");
    }
    return opened.port();
  }

  /** The publishing writer, for tests that break its channel; null before start. */
  AmqpWriter writer() {
    return writer;
  }

  /**
   * Completes once the orderly stop has run, whether SIGTERM, the caller or {@code --max-requests}
   * started it; exceptionally when the stop {@code --max-requests} started failed.
   */
  public CompletableFuture<Void> stopped() {
    return stopped.copy();
  }

  /** {@code --max-requests} are answered: runs the orderly stop on a thread of its own. */
  private void stopByItself() {
    Thread stopper =
        new Thread(
            () -> {
              try {
                close();
              } catch (RuntimeException e) {
                logger.error("stop failed", e);
                stopped.completeExceptionally(e);
              }
            },
            "ferry-max-requests-stop");
    stopper.start();
  }

  /** The orderly stop that SIGTERM runs; see the class comment. Idempotent. */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
    }
    stopping.complete(null);
    readiness.drain();
    if (consumer != null) {
      // A blocked broker reads nothing, the cancel included: new deliveries stay held meanwhile.
      consumer.stop(connector.isBlocked() ? 0 : RequestConsumer.CANCEL_TIMEOUT_MILLIS);
      try {
        boolean drained = inFlight.awaitNone(config.drainTimeout().toNanos());
        logger.info("drained in-flight requests complete={} left={}", drained, inFlight.count());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (stats != null) {
      stats.close(); // Its last report: this instance no longer counts.
    }
    if (connector.isBlocked()) {
      // Neither replies nor acks nor closes can reach the broker now, and the writer may be stuck
      // in a publish: abort the connection (unacked requests go back to the queue).
      connector.close();
    }
    if (writer != null) {
      writer.close(); // Runs the queued acks on the consumer channel before it closes.
    }
    if (consumer != null) {
      consumer.close();
    }
    if (callQueue != null) {
      callQueue.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (grpcUpstream != null) {
      grpcUpstream.close();
    }
    if (circuits != null) {
      circuits.close();
    }
    if (probe != null) {
      probe.close();
    }
    if (grpcProbe != null) {
      grpcProbe.close();
    }
    connector.close();
    if (admin != null) {
      admin.close();
    }
    logger.info("ferry server sidecar stopped");
    stopped.complete(null);
  }
}
