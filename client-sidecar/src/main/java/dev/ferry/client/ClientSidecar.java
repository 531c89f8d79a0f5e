package dev.ferry.client;

import dev.ferry.client.ingress.GrpcIngress;
import dev.ferry.client.ingress.HttpIngress;
import dev.ferry.client.ingress.IngressConfig;
import dev.ferry.common.AdminServer;
import dev.ferry.common.Meters;
import dev.ferry.common.Readiness;
import dev.ferry.common.Sidecar;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running client sidecar: admin endpoint, Ferry client and HTTP front end, started in that
 * order and stopped in reverse (not-ready first, then no new connections, then pending calls
 * drained within {@code --drain-timeout}, admin endpoint last).
 */
public final class ClientSidecar implements Sidecar {
  private static final Logger logger = LoggerFactory.getLogger(ClientSidecar.class);

  private final ClientConfig config;
  private final Readiness readiness = new Readiness();
  private final PrometheusMeterRegistry registry = Meters.prometheus();
  private volatile AdminServer admin;
  private volatile FerryClient client;
  private volatile HttpIngress http;
  private volatile GrpcIngress grpc;
  private final ScheduledExecutorService health =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "ferry-health");
            thread.setDaemon(true);
            return thread;
          });
  private volatile boolean started;
  private final AtomicBoolean closed = new AtomicBoolean();

  ClientSidecar(ClientConfig config) {
    this.config = config;
  }

  @Override
  public void start() throws IOException, InterruptedException {
    logger.info("starting ferry client sidecar {}", config.describe());
    readiness.add("started", () -> started);
    admin = AdminServer.start(config.adminHost(), config.adminPort(), readiness, registry);
    FerryClientConfig clientConfig =
        new FerryClientConfig(
            config.amqpUri(),
            config.queueType(),
            config.maxPending(),
            config.maxPendingBytes(),
            "ferry-client-sidecar",
            config.signer());
    client = FerryClient.connect(clientConfig, registry);
    readiness.add("broker", client::isReady);
    FerryClient connected = client;
    readiness.add("broker-alarm", () -> connected.brokerAlarm() == null);
    for (String service : config.services()) {
      client.declare(service);
    }
    http =
        HttpIngress.start(
            client,
            new IngressConfig(
                config.httpHost(),
                config.httpPort(),
                config.routes(),
                config.timeout(),
                (int) config.maxBodySize(),
                8192,
                (int) config.maxHeaderSize(),
                config.idleTimeout(),
                config.readTimeout()));
    grpc =
        GrpcIngress.start(
            client,
            new GrpcIngress.Config(
                config.httpHost(),
                config.grpcPort(),
                config.routes(),
                config.timeout(),
                (int) config.maxBodySize(),
                (int) config.maxHeaderSize(),
                config.idleTimeout(),
                config.readTimeout()));
    health.scheduleWithFixedDelay(
        () -> grpc.reportHealth(readiness::isReady), 0, 1, TimeUnit.SECONDS);
    started = true;
    logger.info(
        "ferry client sidecar ready http_port={} grpc_port={} admin_port={}",
        http.port(),
        grpc.port(),
        admin.port());
  }

  public int httpPort() {
    return http.port();
  }

  public int grpcPort() {
    return grpc.port();
  }

  public int adminPort() {
    return admin.port();
  }

  /** The orderly stop that SIGTERM runs; once. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    readiness.drain();
    HttpIngress ingress = http;
    GrpcIngress grpcIngress = grpc;
    FerryClient ferry = client;
    if (ingress != null) {
      ingress.stopAccepting();
    }
    if (grpcIngress != null) {
      grpcIngress.stopAccepting();
    }
    if (ferry != null) {
      try {
        long until = System.nanoTime() + config.drainTimeout().toNanos();
        boolean drained = ferry.drain(config.drainTimeout());
        if (ingress != null) {
          drained &= ingress.awaitWritten(Duration.ofNanos(Math.max(0, until - System.nanoTime())));
        }
        logger.info("drained pending calls complete={} left={}", drained, ferry.pendingCalls());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (ingress != null) {
      ingress.close();
    }
    if (grpcIngress != null) {
      grpcIngress.close();
    }
    health.shutdownNow();
    if (ferry != null) {
      ferry.close();
    }
    if (admin != null) {
      admin.close();
    }
    logger.info("ferry client sidecar stopped");
  }
}
