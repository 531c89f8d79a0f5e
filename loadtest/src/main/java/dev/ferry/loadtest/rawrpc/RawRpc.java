package dev.ferry.loadtest.rawrpc;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.Topology;
import java.io.IOException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * Request/response over RabbitMQ with nothing but amqp-client, shaped like what Ferry does on the
 * wire so that the two compare fairly: persistent requests on a durable queue of the chosen type,
 * published with confirms; a responder that replies to {@code reply_to} and acknowledges after
 * publishing; one reply queue per requester, consumed with acknowledgements. Owns its connections.
 */
public final class RawRpc implements AutoCloseable {
  private final Connection serverConnection;
  private final Connection clientConnection;
  private final Channel publishChannel;
  private final String requestQueue;
  private final String replyQueue;
  private final Map<String, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();

  private RawRpc(
      Connection server, Connection client, Channel publish, String request, String reply) {
    this.serverConnection = server;
    this.clientConnection = client;
    this.publishChannel = publish;
    this.requestQueue = request;
    this.replyQueue = reply;
  }

  /**
   * Declares a fresh request queue of {@code type} and starts a responder with {@code prefetch}.
   */
  public static RawRpc start(String amqpUri, QueueType type, int prefetch)
      throws IOException, TimeoutException {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(amqpUri);
    } catch (Exception e) {
      throw new IOException("bad AMQP URI", e);
    }
    if (factory.getVirtualHost().isEmpty()) {
      factory.setVirtualHost("/");
    }
    Connection server = factory.newConnection("ferry-raw-rpc-responder");
    Connection client = factory.newConnection("ferry-raw-rpc-requester");
    String id = UUID.randomUUID().toString();
    String requestQueue = "ferry.bench.raw." + id;
    String replyQueue = "ferry.bench.reply." + id;
    Map<String, Object> arguments = new java.util.HashMap<>(Topology.requestQueueArguments(type));
    arguments.remove("x-dead-letter-exchange");
    arguments.remove("x-dead-letter-routing-key");
    arguments.put("x-expires", 60_000);
    Channel declare = client.createChannel();
    declare.queueDeclare(requestQueue, true, false, false, arguments);
    declare.queueDeclare(replyQueue, false, false, false, Map.of("x-expires", 60_000));
    declare.close();

    Channel serve = server.createChannel();
    serve.basicQos(prefetch);
    serve.confirmSelect();
    serve.basicConsume(
        requestQueue,
        false,
        new DefaultConsumer(serve) {
          @Override
          public void handleDelivery(
              String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
              throws IOException {
            AMQP.BasicProperties reply =
                new AMQP.BasicProperties.Builder()
                    .correlationId(properties.getCorrelationId())
                    .deliveryMode(1)
                    .build();
            getChannel().basicPublish("", properties.getReplyTo(), reply, body);
            getChannel().basicAck(envelope.getDeliveryTag(), false);
          }
        });

    Channel publish = client.createChannel();
    publish.confirmSelect();
    RawRpc rpc = new RawRpc(server, client, publish, requestQueue, replyQueue);
    Channel replies = client.createChannel();
    replies.basicQos(1000);
    replies.basicConsume(
        replyQueue,
        false,
        new DefaultConsumer(replies) {
          @Override
          public void handleDelivery(
              String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
              throws IOException {
            CompletableFuture<byte[]> call = rpc.pending.remove(properties.getCorrelationId());
            getChannel().basicAck(envelope.getDeliveryTag(), false);
            if (call != null) {
              call.complete(body);
            }
          }
        });
    return rpc;
  }

  /**
   * Sends {@code body} and completes with the reply. Publishing is synchronous on a shared channel
   * (the caller's thread), as a plain amqp-client program would do it.
   */
  public CompletableFuture<byte[]> call(byte[] body) throws IOException {
    String correlationId = UUID.randomUUID().toString();
    CompletableFuture<byte[]> reply = new CompletableFuture<>();
    pending.put(correlationId, reply);
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .correlationId(correlationId)
            .replyTo(replyQueue)
            .deliveryMode(2)
            .build();
    synchronized (publishChannel) {
      publishChannel.basicPublish("", requestQueue, true, properties, body);
    }
    return reply;
  }

  @Override
  public void close() throws IOException {
    try {
      Channel channel = clientConnection.createChannel();
      channel.queueDelete(requestQueue);
      channel.queueDelete(replyQueue);
    } finally {
      clientConnection.abort(2_000);
      serverConnection.abort(2_000);
    }
  }
}
