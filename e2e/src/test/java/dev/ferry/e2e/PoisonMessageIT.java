package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.ferry.common.Topologies;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.ResponseEnvelope;
import dev.ferry.protocol.Topology;
import dev.ferry.testing.RabbitBroker;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Messages on the request queue that are not valid requests never take the server sidecar down. */
class PoisonMessageIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void deadLettersGarbageAnswersItsCallerAndKeepsServing() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "poison");
        Connection connection = broker.newConnection();
        Channel channel = connection.createChannel()) {
      int port = pair.client().httpPort();
      pair.server("http://127.0.0.1:" + echo.port());
      String replyQueue = Topology.replyQueue("test-" + pair.service);
      broker.deleteAfterTest(replyQueue);
      Topologies.declareReplyQueue(channel, replyQueue);

      channel.basicPublish(
          "",
          Topology.requestQueue(pair.service),
          new AMQP.BasicProperties.Builder().correlationId("garbage-1").replyTo(replyQueue).build(),
          "not a request".getBytes(StandardCharsets.UTF_8));

      ResponseEnvelope reply = Queues.awaitReply(channel, replyQueue);
      assertThat(reply.correlationId()).isEqualTo("garbage-1");
      assertThat(reply.error()).isEqualTo(FerryError.PROTOCOL_ERROR);
      assertThat(new String(reply.body(), StandardCharsets.UTF_8)).contains("headers");
      GetResponse deadLetter = Queues.awaitMessage(channel, Topology.deadLetterQueue(pair.service));
      assertThat(new String(deadLetter.getBody(), StandardCharsets.UTF_8))
          .isEqualTo("not a request");
      assertThat(deadLetter.getProps().getHeaders()).containsKey("ferry-dead-letter-reason");
      assertThat(Http.get(port, "/still-serving").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void refusesAnUnknownProtocolVersionWithoutGuessing() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "version");
        Connection connection = broker.newConnection();
        Channel channel = connection.createChannel()) {
      pair.server("http://127.0.0.1:" + echo.port());
      String replyQueue = Topology.replyQueue("test-" + pair.service);
      broker.deleteAfterTest(replyQueue);
      Topologies.declareReplyQueue(channel, replyQueue);
      Map<String, Object> headers = new HashMap<>();
      headers.put(EnvelopeCodec.H_VERSION, 2);

      channel.basicPublish(
          "",
          Topology.requestQueue(pair.service),
          new AMQP.BasicProperties.Builder()
              .type(EnvelopeCodec.TYPE_REQUEST)
              .correlationId("v2")
              .replyTo(replyQueue)
              .headers(headers)
              .build(),
          new byte[0]);

      ResponseEnvelope reply = Queues.awaitReply(channel, replyQueue);
      assertThat(reply.error()).isEqualTo(FerryError.UNSUPPORTED_VERSION);
      assertThat(reply.status()).isEqualTo(502);
      assertThat(echo.requests()).isZero();
    }
  }
}
