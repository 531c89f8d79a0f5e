package dev.ferry.server;

import com.rabbitmq.client.Connection;
import dev.ferry.common.AdminServer;
import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Meters;
import dev.ferry.common.Readiness;
import dev.ferry.common.Sidecar;
import dev.ferry.protocol.Topology;
import dev.ferry.server.amqp.AmqpWriter;
import dev.ferry.server.amqp.RequestConsumer;
import dev.ferry.server.dispatch.DispatchMetrics;
import dev.ferry.server.dispatch.Dispatcher;
import dev.ferry.server.dispatch.InFlight;
import dev.ferry.server.upstream.HttpUpstream;
import dev.ferry.server.upstream.UpstreamProbe;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running server sidecar. Starts admin endpoint, broker connection, queues, upstream client and
 * consumer in that order; stops in reverse: not-ready, stop consuming, finish in-flight requests
 * (publish and confirm their replies, ack) within {@code --drain-timeout}, close.
 */
public final class ServerSidecar implements Sidecar {
  private static final Logger logger = LoggerFactory.getLogger(ServerSidecar.class);
  private static final long PROBE_INTERVAL_MILLIS = 2_000;

  private final ServerConfig config;
  private final Readiness readiness = new Readiness();
  private final PrometheusMeterRegistry registry = Meters.prometheus();
  private final InFlight inFlight = new InFlight();
  private final AmqpConnector connector;
  private volatile AdminServer admin;
  private volatile UpstreamProbe probe;
  private volatile HttpUpstream upstream;
  private volatile AmqpWriter writer;
  private volatile RequestConsumer consumer;
  private volatile boolean started;

  ServerSidecar(ServerConfig config) {
    this.config = config;
    this.connector =
        new AmqpConnector(config.amqpUri(), "ferry-server-sidecar:" + config.service());
  }

  @Override
  public void start() throws IOException, InterruptedException {
    logger.info("starting ferry server sidecar {}", config.describe());
    readiness.add("started", () -> started);
    admin = AdminServer.start(config.adminHost(), config.adminPort(), readiness, registry);
    probe =
        new UpstreamProbe(
            config.upstream().getHost(), config.upstreamPort(), PROBE_INTERVAL_MILLIS);
    readiness.add("upstream", probe::isReachable);
    Connection connection = connector.connect();
    readiness.add("broker", connector::isUsable);
    Topology.declareRequestQueue(connection, config.service(), config.queueType());
    Topology.declareDeadLetterQueue(connection, config.service());
    upstream = HttpUpstream.create(config.upstream(), (int) config.maxBodySize(), 1);
    writer = new AmqpWriter(connection);
    FunctionCounter.builder("ferry.server.replies.returned", writer, AmqpWriter::returnedReplies)
        .description("Replies the broker could not route: their caller's reply queue was gone")
        .tag("service", config.service())
        .register(registry);
    FunctionCounter.builder("ferry.broker.recoveries", connector, AmqpConnector::recoveries)
        .tag("sidecar", "server")
        .register(registry);
    Dispatcher dispatcher =
        new Dispatcher(
            config.service(),
            writer,
            upstream,
            new DispatchMetrics(registry, config.service(), inFlight),
            inFlight);
    consumer = new RequestConsumer(connection, config.service(), config.concurrency(), writer);
    readiness.add("consuming", consumer::isConsuming);
    consumer.start(dispatcher::handle);
    started = true;
    logger.info("ferry server sidecar ready admin_port={}", admin.port());
  }

  public int adminPort() {
    return admin.port();
  }

  /** The orderly stop that SIGTERM runs; see the class comment. */
  @Override
  public void close() {
    readiness.drain();
    if (consumer != null) {
      consumer.stop();
      try {
        boolean drained = inFlight.awaitNone(config.drainTimeout().toNanos());
        logger.info("drained in-flight requests complete={} left={}", drained, inFlight.count());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (writer != null) {
      writer.close(); // Runs the queued acks on the consumer channel before it closes.
    }
    if (consumer != null) {
      consumer.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (probe != null) {
      probe.close();
    }
    connector.close();
    if (admin != null) {
      admin.close();
    }
    logger.info("ferry server sidecar stopped");
  }
}
