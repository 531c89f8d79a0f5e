package dev.ferry.server.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.ferry.common.AmqpConnector;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.server.amqp.AmqpWriter;
import dev.ferry.server.amqp.Delivery;
import dev.ferry.server.resilience.ResilientHttp;
import dev.ferry.server.resilience.UpstreamGuard;
import dev.ferry.server.upstream.HttpUpstream;
import dev.ferry.testing.RabbitBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link Dispatcher#handle} with a real writer: what goes wrong unexpectedly stays inside. */
class DispatcherIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  private final InFlight inFlight = new InFlight();
  private final List<String> settled = new ArrayList<>();
  private AmqpConnector connector;
  private AmqpWriter writer;
  private HttpUpstream upstream;
  private Dispatcher dispatcher;

  @BeforeEach
  void setUp() throws Exception {
    connector = new AmqpConnector(broker.uri(), "ferry-dispatcher-test");
    writer = new AmqpWriter(connector.connect());
    upstream = HttpUpstream.create(URI.create("http://127.0.0.1:9"), 1024, 1);
    String service = broker.newService("dispatch");
    dispatcher =
        new Dispatcher(
            service,
            writer,
            new ResilientHttp(upstream, UpstreamGuard.none("http")),
            new DispatchMetrics(new SimpleMeterRegistry(), service, inFlight),
            inFlight,
            1024,
            null,
            null,
            null,
            10,
            5,
            UpstreamGuard.none("grpc"),
            MessageSigner.NONE);
  }

  @AfterEach
  void tearDown() {
    upstream.close();
    writer.close();
    connector.close();
  }

  @Test
  void returnsARequestThatBreaksTheDispatcherToTheQueueInsteadOfThrowing() {
    Delivery broken = new Delivery(null, new byte[0], false, 0, recordingSettler());

    assertThatCode(() -> dispatcher.handle(broken)).doesNotThrowAnyException();

    assertThat(settled).containsExactly("requeue");
    assertThat(inFlight.count()).isZero();
  }

  private Delivery.Settler recordingSettler() {
    return new Delivery.Settler() {
      @Override
      public void ack() {
        settled.add("ack");
      }

      @Override
      public void requeue() {
        settled.add("requeue");
      }
    };
  }
}
