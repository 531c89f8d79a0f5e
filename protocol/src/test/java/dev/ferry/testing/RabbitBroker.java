package dev.ferry.testing;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.rabbitmq.RabbitMQContainer;

/**
 * A real RabbitMQ for tests: the broker at {@code FERRY_TEST_AMQP_URI} when set, otherwise one
 * started with Testcontainers when Docker is available; otherwise tests fail with a message that
 * says how to provide one. Register with {@code @RegisterExtension static RabbitBroker broker = new
 * RabbitBroker();}. Hands out unique service names and deletes their queues after each test.
 */
public final class RabbitBroker implements BeforeEachCallback, AfterEachCallback {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static volatile String sharedUri;

  private final List<String> services = new ArrayList<>();
  private final List<String> queues = new ArrayList<>();

  /** The broker's AMQP URI, starting a container on first use when needed. */
  public String uri() {
    String uri = sharedUri;
    if (uri == null) {
      synchronized (RabbitBroker.class) {
        if (sharedUri == null) {
          sharedUri = locate();
        }
        uri = sharedUri;
      }
    }
    return uri;
  }

  private static String locate() {
    String fromEnvironment = System.getenv("FERRY_TEST_AMQP_URI");
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return fromEnvironment;
    }
    if (DockerClientFactory.instance().isDockerAvailable()) {
      RabbitMQContainer container = new RabbitMQContainer("rabbitmq:3.13-management");
      container.start();
      return container.getAmqpUrl();
    }
    throw new IllegalStateException(
        "these tests need a real RabbitMQ: set FERRY_TEST_AMQP_URI (e.g."
            + " amqp://guest:guest@127.0.0.1:5672/, `bash .ci/run` starts one) or make Docker"
            + " available for Testcontainers");
  }

  /** A service name no other test uses; its queues are deleted after the test. */
  public String newService(String hint) {
    String service =
        "t" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet() + "-" + hint;
    services.add(service);
    return service;
  }

  /** Deletes {@code queue} after the test. */
  public void deleteAfterTest(String queue) {
    queues.add(queue);
  }

  /** A new connection for the test's own use; the caller closes it. */
  public Connection newConnection() throws IOException, TimeoutException {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(uri());
    } catch (Exception e) {
      throw new IOException("bad broker URI", e);
    }
    if (factory.getVirtualHost().isEmpty()) {
      // "amqp://host:5672/" names the empty vhost by the letter of the URI spec; everyone means "/"
      // (AmqpConnector reads it the same way).
      factory.setVirtualHost("/");
    }
    return factory.newConnection("ferry-test");
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    uri();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    List<String> toDelete = new ArrayList<>(queues);
    for (String service : services) {
      toDelete.add("ferry.req." + service);
      toDelete.add("ferry.dlq." + service);
    }
    services.clear();
    queues.clear();
    try (Connection connection = newConnection()) {
      for (String queue : toDelete) {
        try (Channel channel = connection.createChannel()) {
          channel.queueDelete(queue);
        } catch (IOException | RuntimeException e) {
          // Already gone.
        }
      }
    }
  }
}
