package dev.ferry.common;

import dev.ferry.common.Cli.ConfigException;
import dev.ferry.protocol.MessageSigner;
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
 * secret; {@code --amqp-password-file}; TLS ({@code --amqp-ca-file}, {@code --amqp-cert-file},
 * {@code --amqp-key-file}) and {@code --amqp-sasl}, which become the URI's query parameters (see
 * {@code BrokerUri}); {@code --signing-key-file}; and {@code --queue-type}. Files are read when the
 * configuration is built, so a missing or bad one stops the start with one line naming its flag;
 * their content is never logged.
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
      names = "--amqp-password-file",
      paramLabel = "FILE",
      description =
          "Read the broker password from this file (a trailing newline is dropped); it replaces"
              + " the password of the URI, which must name the user.")
  Path amqpPasswordFile;

  @Option(
      names = "--amqp-ca-file",
      paramLabel = "FILE",
      description =
          "With amqps://: trust the broker certificates these PEM CA certificates sign (default:"
              + " the JDK's trust store); the broker's host name is always verified.")
  Path amqpCaFile;

  @Option(
      names = "--amqp-cert-file",
      paramLabel = "FILE",
      description =
          "With amqps://: present this PEM client certificate (chain) to the broker; needs"
              + " --amqp-key-file.")
  Path amqpCertFile;

  @Option(
      names = "--amqp-key-file",
      paramLabel = "FILE",
      description =
          "The client certificate's private key: unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY), RSA"
              + " or EC.")
  Path amqpKeyFile;

  @Option(
      names = "--amqp-sasl",
      paramLabel = "MECHANISM",
      description =
          "How to log in: plain (user and password, the default) or external (the client"
              + " certificate names the user; needs --amqp-cert-file).")
  String amqpSasl;

  @Option(
      names = "--signing-key-file",
      paramLabel = "FILE",
      description =
          "Sign every message this sidecar publishes and accept only messages signed with one of"
              + " these keys (HMAC-SHA256; one key per line, at least 16 bytes; the first signs,"
              + " all verify, for rotation). Every sidecar of a deployment needs the same file.")
  Path signingKeyFile;

  @Option(
      names = "--queue-type",
      paramLabel = "TYPE",
      defaultValue = "quorum",
      description =
          "Type of the request queue when this sidecar declares it: quorum or classic (default:"
              + " ${DEFAULT-VALUE}).")
  String queueType;

  /**
   * The broker URI: {@code --amqp-uri}, or the content of {@code --amqp-uri-file} (trimmed); with
   * the password from {@code --amqp-password-file}, and the TLS and SASL flags as query parameters
   * (a flag replaces the same parameter in the URI). Holds the password: log it only through {@link
   * AmqpConnector#redact}.
   */
  public String amqpUri() {
    String uri = amqpUriFile == null ? amqpUri : read("--amqp-uri-file", amqpUriFile).trim();
    if (amqpPasswordFile != null) {
      uri = BrokerUri.withPassword(uri, password());
    }
    uri = withFile(uri, BrokerUri.CA_FILE, amqpCaFile);
    uri = withFile(uri, BrokerUri.CERT_FILE, amqpCertFile);
    uri = withFile(uri, BrokerUri.KEY_FILE, amqpKeyFile);
    if (amqpSasl != null) {
      // Checked with the rest of the URI (BrokerUri.parse): plain or external.
      uri = BrokerUri.withParameter(uri, BrokerUri.AUTH_MECHANISM, amqpSasl.trim());
    }
    return uri;
  }

  private String password() {
    String password = read("--amqp-password-file", amqpPasswordFile).replaceFirst("[\\r\\n]+$", "");
    if (password.isEmpty()) {
      throw new ConfigException("--amqp-password-file: " + amqpPasswordFile + " is empty");
    }
    return password;
  }

  private static String withFile(String uri, String parameter, Path file) {
    return file == null ? uri : BrokerUri.withParameter(uri, parameter, file.toString());
  }

  private static String read(String flag, Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      // The exception's message is the path, or the reason: never the content.
      throw new ConfigException(
          flag + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** The signer of {@code --signing-key-file}, or {@link MessageSigner#NONE} without one. */
  public MessageSigner signer() {
    if (signingKeyFile == null) {
      return MessageSigner.NONE;
    }
    try {
      return MessageSigner.fromKeyFile(read("--signing-key-file", signingKeyFile));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--signing-key-file: " + e.getMessage());
    }
  }

  public QueueType queueType() {
    return Cli.enumValue("--queue-type", QueueType.class, queueType);
  }
}
