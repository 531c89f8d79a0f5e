package dev.ferry.common;

import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultSaslConfig;
import dev.ferry.common.Cli.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The broker URI as Ferry reads it: RabbitMQ's AMQP URI, whose query may also carry the TLS and
 * SASL parameters of RabbitMQ's URI query parameter spec (those its Erlang client, Shovel and
 * Federation take): {@code cacertfile}, {@code certfile}, {@code keyfile} and {@code
 * auth_mechanism}. The {@code --amqp-ca-file}, {@code --amqp-cert-file}, {@code --amqp-key-file}
 * and {@code --amqp-sasl} flags add them ({@link BrokerOptions}), so one URI string carries the
 * whole broker set-up to {@link AmqpConnector}, from a flag, a file or the {@code FerryClient}
 * library alike. Other query parameters ({@code heartbeat}, {@code connection_timeout}, {@code
 * channel_max}) go to amqp-client as they are.
 *
 * @param clientUri the URI without Ferry's parameters, for {@link ConnectionFactory#setUri}
 * @param tls whether the scheme is {@code amqps}
 * @param caFile PEM bundle of the CAs to trust; null: the JDK's trust store
 * @param certFile PEM client certificate (chain); null: none
 * @param keyFile PEM PKCS#8 key of {@code certFile}; null exactly when {@code certFile} is
 * @param external whether to log in with SASL EXTERNAL (the client certificate) instead of PLAIN
 */
record BrokerUri(
    String clientUri, boolean tls, Path caFile, Path certFile, Path keyFile, boolean external) {
  static final String CA_FILE = "cacertfile";
  static final String CERT_FILE = "certfile";
  static final String KEY_FILE = "keyfile";
  static final String AUTH_MECHANISM = "auth_mechanism";

  BrokerUri {
    if (!tls) {
      requireTls("--amqp-ca-file", caFile);
      requireTls("--amqp-cert-file", certFile);
      requireTls("--amqp-key-file", keyFile);
    }
    if ((certFile == null) != (keyFile == null)) {
      throw new ConfigException(
          (certFile == null ? "--amqp-key-file" : "--amqp-cert-file")
              + ": given alone (expected: --amqp-cert-file and --amqp-key-file together)");
    }
    if (external && certFile == null) {
      throw new ConfigException(
          "--amqp-sasl: external (expected: an amqps:// URI with --amqp-cert-file and"
              + " --amqp-key-file, whose certificate names the user)");
    }
  }

  /** Splits {@code uri} into what amqp-client reads and Ferry's TLS and SASL parameters. */
  static BrokerUri parse(String uri) {
    URI parsed = syntax(uri);
    boolean tls = "amqps".equalsIgnoreCase(parsed.getScheme());
    String query = parsed.getRawQuery();
    if (query == null) {
      return new BrokerUri(uri, tls, null, null, null, false);
    }
    Path caFile = null;
    Path certFile = null;
    Path keyFile = null;
    boolean external = false;
    List<String> rest = new ArrayList<>();
    for (String parameter : query.split("&")) {
      int equals = parameter.indexOf('=');
      String key = decode(equals < 0 ? parameter : parameter.substring(0, equals));
      String value = equals < 0 ? "" : decode(parameter.substring(equals + 1));
      switch (key) {
        case CA_FILE -> caFile = path("--amqp-ca-file", value);
        case CERT_FILE -> certFile = path("--amqp-cert-file", value);
        case KEY_FILE -> keyFile = path("--amqp-key-file", value);
        case AUTH_MECHANISM -> external = external(value);
        default -> rest.add(parameter);
      }
    }
    String base = uri.substring(0, uri.indexOf('?'));
    String clientUri = rest.isEmpty() ? base : base + "?" + String.join("&", rest);
    return new BrokerUri(clientUri, tls, caFile, certFile, keyFile, external);
  }

  /**
   * {@code uri} with query parameter {@code key} set to {@code value} (replacing it if present).
   */
  static String withParameter(String uri, String key, String value) {
    URI parsed = syntax(uri);
    String query = parsed.getRawQuery();
    List<String> parameters = new ArrayList<>();
    if (query != null) {
      for (String parameter : query.split("&")) {
        int equals = parameter.indexOf('=');
        if (!decode(equals < 0 ? parameter : parameter.substring(0, equals)).equals(key)) {
          parameters.add(parameter);
        }
      }
    }
    parameters.add(key + "=" + encodeQueryValue(value));
    String base = query == null ? uri : uri.substring(0, uri.indexOf('?'));
    return base + "?" + String.join("&", parameters);
  }

  /**
   * {@code uri} with its user's password replaced by {@code password}; the URI must name a user
   * ({@code amqp://USER@HOST/} or {@code amqp://USER:OLD@HOST/}).
   */
  static String withPassword(String uri, String password) {
    String authority = syntax(uri).getRawAuthority();
    int end = authority == null ? -1 : authority.lastIndexOf('@');
    if (end <= 0 || authority.startsWith(":")) {
      throw new ConfigException(
          "--amqp-password-file: the broker URI names no user (expected: amqp://USER@HOST/...)");
    }
    String userInfo = authority.substring(0, end);
    int colon = userInfo.indexOf(':');
    String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
    int start = uri.indexOf("//") + 2; // The authority follows the scheme's "//".
    return uri.substring(0, start)
        + user
        + ":"
        + encode(password)
        + uri.substring(start + userInfo.length());
  }

  /**
   * Sets up TLS (a context from the PEM files, TLS 1.3 or 1.2, the host name verified) and SASL on
   * {@code factory}; call it before {@link ConnectionFactory#setUri}, which then keeps this TLS
   * context rather than its default one.
   */
  void configure(ConnectionFactory factory) {
    if (tls) {
      factory.useSslProtocol(BrokerTls.context(caFile, certFile, keyFile));
      // useSslProtocol(SSLContext) turns it on too in amqp-client 5.x; said here so it stays on.
      factory.enableHostnameVerification();
      factory.setSocketConfigurator(
          factory.getSocketConfigurator().andThen(BrokerTls::restrictProtocols));
    }
    if (external) {
      factory.setSaslConfig(DefaultSaslConfig.EXTERNAL);
    }
  }

  private static URI syntax(String uri) {
    try {
      return new URI(uri);
    } catch (URISyntaxException e) {
      throw new ConfigException("--amqp-uri: not a valid AMQP URI: " + AmqpConnector.redact(uri));
    }
  }

  private static void requireTls(String flag, Path file) {
    if (file != null) {
      throw new ConfigException(flag + ": " + file + " (expected: an amqps:// broker URI)");
    }
  }

  private static Path path(String flag, String value) {
    if (value.isEmpty()) {
      throw new ConfigException(flag + ": empty (expected: a file)");
    }
    return Path.of(value);
  }

  private static boolean external(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "plain" -> false;
      case "external" -> true;
      default ->
          throw new ConfigException(
              "--amqp-sasl: '" + value + "' (expected: one of plain, external)");
    };
  }

  /** Percent-encodes what a query value cannot hold as it is; a path keeps its slashes. */
  private static String encodeQueryValue(String value) {
    StringBuilder encoded = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || "-._~/:@!$'()*,;".indexOf(c) >= 0) {
        encoded.append(c);
      } else {
        encoded.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return encoded.toString();
  }

  private static String encode(String value) {
    // URLEncoder writes a space as '+', which amqp-client reads as a '+' in the user info.
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String decode(String value) {
    try {
      return URLDecoder.decode(value, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--amqp-uri: bad %-escape in the query");
    }
  }
}
