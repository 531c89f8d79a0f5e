package dev.ferry.loadtest.bench;

/** The four things the bench loads, in the order it runs and prints them. */
enum Configuration {
  DIRECT("a", "HTTP → echo directly"),
  RAW_RPC("b", "raw RabbitMQ RPC (amqp-client)"),
  HTTP_PAIR("c", "HTTP through the Ferry pair"),
  GRPC_PAIR("d", "gRPC through the Ferry pair");

  private final String letter;
  private final String title;

  Configuration(String letter, String title) {
    this.letter = letter;
    this.title = title;
  }

  String letter() {
    return letter;
  }

  /** {@code (c) HTTP through the Ferry pair}. */
  String label() {
    return "(" + letter + ") " + title;
  }
}
