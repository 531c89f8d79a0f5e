package dev.ferry.common;

import dev.ferry.common.Cli.ConfigException;
import dev.ferry.protocol.QueueType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The broker options both sidecars take (a picocli mixin): {@code --amqp-uri}, or {@code
 * --amqp-uri-file} to read it, credentials included, from a file such as a mounted Kubernetes
 * secret; and {@code --queue-type}.
 */
public final class BrokerOptions {
  @Option(
      names = "--amqp-uri",
      paramLabel = "URI",
      description = "RabbitMQ to use (default: amqp://guest:guest@127.0.0.1:5672/).",
      defaultValue = "amqp://guest:guest@127.0.0.1:5672/",
      showDefaultValue = CommandLine.Help.Visibility.NEVER)
  String amqpUri;

  @Option(
      names = "--amqp-uri-file",
      paramLabel = "FILE",
      description =
          "Read the broker URI, credentials included, from this file instead (e.g. a mounted"
              + " Kubernetes secret); it wins over --amqp-uri.")
  Path amqpUriFile;

  @Option(
      names = "--queue-type",
      paramLabel = "TYPE",
      defaultValue = "quorum",
      description =
          "Type of the request queue when this sidecar declares it: quorum or classic (default:"
              + " ${DEFAULT-VALUE}).")
  String queueType;

  /** The broker URI: the file's content (trimmed) when {@code --amqp-uri-file} is given. */
  public String amqpUri() {
    if (amqpUriFile == null) {
      return amqpUri;
    }
    try {
      return Files.readString(amqpUriFile, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new ConfigException(
          "--amqp-uri-file: cannot read " + amqpUriFile + ": " + e.getMessage());
    }
  }

  public QueueType queueType() {
    return Cli.enumValue("--queue-type", QueueType.class, queueType);
  }
}
