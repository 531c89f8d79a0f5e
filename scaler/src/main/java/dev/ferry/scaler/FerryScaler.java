package dev.ferry.scaler;

import com.rabbitmq.client.Connection;
import dev.ferry.common.AdminServer;
import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Meters;
import dev.ferry.common.Readiness;
import dev.ferry.common.Sidecar;
import dev.ferry.scaler.amqp.DepthPoller;
import dev.ferry.scaler.amqp.StatsConsumer;
import dev.ferry.scaler.grpc.ExternalScalerService;
import dev.ferry.scaler.load.Loads;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running scaler. Starts the admin endpoint, the broker connection, the stats consumer, the
 * depth poller and last the gRPC service KEDA calls; stops in reverse: not-ready, gRPC (open {@code
 * StreamIsActive} calls end cleanly, so that KEDA opens them again after 2 s), poller, consumer,
 * connection, admin endpoint. {@link #close()} may run while {@link #start()} still waits for the
 * broker (SIGTERM): start then returns without serving.
 */
public final class FerryScaler implements Sidecar {
  private static final Logger logger = LoggerFactory.getLogger(FerryScaler.class);

  private final ScalerConfig config;
  private final Readiness readiness = new Readiness();
  private final PrometheusMeterRegistry registry = Meters.prometheus();
  private final AmqpConnector connector;
  private final Loads loads;
  private final Object lifecycle = new Object();
  private boolean closed; // Guarded by lifecycle: start() builds nothing once it is set.
  private volatile AdminServer admin;
  private volatile StatsConsumer stats;
  private volatile DepthPoller poller;
  private volatile ExternalScalerService service;
  private volatile Server grpc;
  private volatile boolean started;

  FerryScaler(ScalerConfig config) {
    this.config = config;
    this.connector = new AmqpConnector(config.amqpUri(), "ferry-scaler");
    this.loads = new Loads(System::nanoTime, config.staleAfter());
  }

  /** Starts everything; blocks while the broker is unreachable. */
  @Override
  public void start() throws IOException, InterruptedException {
    logger.info("starting ferry scaler {}", config.describe());
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      readiness.add("started", () -> started);
      admin = AdminServer.start(config.adminHost(), config.adminPort(), readiness, registry);
    }
    Connection connection = connector.connect(); // Ends with InterruptedException on close().
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      readiness.add("broker", connector::isUsable);
      stats = StatsConsumer.start(connection, loads, config.signer());
      readiness.add("stats", stats::isConsuming);
      poller = new DepthPoller(connection, loads, config.pollInterval());
      loads.onNewlyWatched(poller::pollSoon);
      poller.start();
      service = new ExternalScalerService(loads);
      grpc = serve(service);
      registerMeters();
      started = true;
    }
    logger.info("ferry scaler ready grpc_port={} admin_port={}", grpcPort(), admin.port());
  }

  private Server serve(ExternalScalerService scaler) throws IOException {
    try {
      return NettyServerBuilder.forAddress(new InetSocketAddress(config.grpcPort()))
          .addService(scaler)
          .build()
          .start();
    } catch (IOException e) {
      throw new IOException(
          "--grpc-port: cannot listen on " + config.grpcPort() + ": " + e.getMessage(), e);
    }
  }

  private void registerMeters() {
    Gauge.builder("ferry.scaler.services", loads, Loads::size)
        .description("Services known: asked about by a ScaledObject, or reporting in-flight")
        .register(registry);
    Gauge.builder("ferry.scaler.instances", loads, Loads::liveInstances)
        .description("Server sidecar instances whose in-flight reports count now")
        .register(registry);
    Gauge.builder("ferry.scaler.streams", service, ExternalScalerService::streams)
        .description("Open StreamIsActive calls")
        .register(registry);
    FunctionCounter.builder("ferry.scaler.reports", stats, StatsConsumer::received)
        .description("In-flight reports received")
        .register(registry);
    FunctionCounter.builder("ferry.scaler.reports.rejected", stats, StatsConsumer::rejected)
        .description("In-flight reports dropped: bad signature or format")
        .register(registry);
    FunctionCounter.builder("ferry.scaler.polls.failed", poller, DepthPoller::failures)
        .description("Queue depth reads that failed (broker unreachable)")
        .register(registry);
    FunctionCounter.builder("ferry.broker.recoveries", connector, AmqpConnector::recoveries)
        .tag("sidecar", "scaler")
        .register(registry);
  }

  /** The gRPC port KEDA calls; once {@link #start()} has opened it. */
  public int grpcPort() {
    Server serving = grpc;
    if (serving == null) {
      throw new IllegalStateException("gRPC service not started yet");
    }
    return serving.getPort();
  }

  /** The admin endpoint's port; once {@link #start()} has opened it. */
  public int adminPort() {
    AdminServer opened = admin;
    if (opened == null) {
      throw new IllegalStateException("admin endpoint not started yet");
    }
    return opened.port();
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
    readiness.drain();
    if (grpc != null) {
      service.completeStreams();
      grpc.shutdown();
      try {
        if (!grpc.awaitTermination(1, TimeUnit.SECONDS)) {
          grpc.shutdownNow(); // Cancels the open StreamIsActive calls.
          grpc.awaitTermination(2, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        grpc.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    if (poller != null) {
      poller.close();
    }
    if (stats != null) {
      stats.close();
    }
    connector.close();
    if (admin != null) {
      admin.close();
    }
    logger.info("ferry scaler stopped");
  }
}
