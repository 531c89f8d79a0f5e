package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.ferry.e2e.proto.Msg;
import dev.ferry.e2e.proto.TestServiceGrpc;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.Ids;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.protocol.Topology;
import dev.ferry.testing.RabbitBroker;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code --signing-key-file} (PROTOCOL.md §16) the pair works as before, and messages that
 * anyone else publishes, unsigned or signed with another key, never reach the service or a caller.
 */
class SignedMessagesIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  private static final String KEY = "a-shared-key-for-this-deployment";

  @TempDir Path dir;

  private String keyFile(String name, String content) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, content + "\n");
    return file.toString();
  }

  @Test
  void aSigningPairCarriesHttpAndGrpcCalls() throws Exception {
    String keys = keyFile("keys", KEY);
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        TestGrpcService grpc = new TestGrpcService();
        Pair pair = new Pair(broker, "signed")) {
      pair.server(
          "http://127.0.0.1:" + echo.port(),
          "--upstream-grpc",
          "127.0.0.1:" + grpc.port(),
          "--signing-key-file",
          keys);
      var client = pair.client("--signing-key-file", keys);

      HttpResponse<String> response = Http.get(client.httpPort(), "/signed?x=1");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("x-echo-uri")).hasValue("/signed?x=1");

      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", client.grpcPort()).usePlaintext().build();
      try {
        var stub = TestServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        List<String> streamed = new java.util.ArrayList<>();
        stub.serverStream(Msg.newBuilder().setText("s").setCount(3).build())
            .forEachRemaining(m -> streamed.add(m.getText()));
        assertThat(streamed).containsExactly("s-0", "s-1", "s-2");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void deadLettersRequestsNotSignedWithTheDeploymentsKeyWithoutCallingTheService()
      throws Exception {
    String keys = keyFile("keys", KEY);
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "unsigned");
        Connection connection = broker.newConnection();
        Channel channel = connection.createChannel()) {
      pair.server("http://127.0.0.1:" + echo.port(), "--signing-key-file", keys);
      String replyQueue = Topology.replyQueue("test-" + pair.service);
      broker.deleteAfterTest(replyQueue);
      dev.ferry.common.Topologies.declareReplyQueue(channel, replyQueue);
      String queue = Topology.requestQueue(pair.service);
      AmqpMessage unsigned = request(replyQueue, "unsigned");
      AmqpMessage foreign =
          MessageSigner.of(List.of("another-deployments-key".getBytes(StandardCharsets.UTF_8)))
              .sign(request(replyQueue, "foreign"), "", queue);

      channel.basicPublish("", queue, unsigned.properties(), unsigned.body());
      channel.basicPublish("", queue, foreign.properties(), foreign.body());

      GetResponse first = Queues.awaitMessage(channel, Topology.deadLetterQueue(pair.service));
      GetResponse second = Queues.awaitMessage(channel, Topology.deadLetterQueue(pair.service));
      assertThat(List.of(first, second))
          .extracting(m -> m.getProps().getHeaders().get("ferry-dead-letter-reason").toString())
          .anySatisfy(reason -> assertThat(reason).contains("ferry-signature").contains("missing"))
          .anySatisfy(reason -> assertThat(reason).contains("does not match"));
      assertThat(echo.requests()).isZero();
      assertThat(channel.messageCount(replyQueue)).isZero(); // No error reply to a forged reply_to.
    }
  }

  @Test
  void aClientDropsRepliesItCannotVerify() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "badreply")) {
      // The server does not sign: to the signing client its replies could come from anyone.
      pair.server("http://127.0.0.1:" + echo.port());
      var client = pair.client("--signing-key-file", keyFile("keys", KEY));

      HttpResponse<byte[]> response =
          Http.send(
              Http.request(client.httpPort(), "/dropped").header("ferry-timeout", "2s").build());

      assertThat(response.statusCode()).isEqualTo(504);
      assertThat(response.headers().firstValue("ferry-error")).hasValue("timeout");
      assertThat(echo.requests()).isEqualTo(1);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(Http.get(client.adminPort(), "/metrics").body())
                      .containsPattern("ferry_client_replies_rejected_total 1\\.0"));
    }
  }

  private static AmqpMessage request(String replyQueue, String target) {
    long now = System.currentTimeMillis();
    return EnvelopeCodec.encodeRequest(
        new RequestEnvelope(
            CallKind.HTTP,
            "GET",
            "/" + target,
            List.of(),
            new byte[0],
            Ids.random128(),
            Ids.random128(),
            replyQueue,
            now,
            now + 30_000));
  }
}
