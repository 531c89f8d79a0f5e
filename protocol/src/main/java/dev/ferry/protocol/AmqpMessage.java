package dev.ferry.protocol;

import static java.util.Objects.requireNonNull;

import com.rabbitmq.client.AMQP;

/** An AMQP message as published or delivered: its properties (with headers) and its body. */
public record AmqpMessage(AMQP.BasicProperties properties, byte[] body) {
  public AmqpMessage {
    requireNonNull(properties, "properties");
    requireNonNull(body, "body");
  }
}
