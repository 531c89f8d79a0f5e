package dev.ferry.server;

import static java.util.Objects.requireNonNull;

import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Cli.ConfigException;
import dev.ferry.common.ConfigChecks;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.QueueType;
import dev.ferry.server.resilience.CircuitSettings;
import java.net.URI;
import java.time.Duration;

/**
 * The server sidecar's configuration, built once from flags and {@code FERRY_*} variables by {@link
 * ServerSidecarMain} (a flag wins over its variable) and validated here; a bad value is a {@link
 * ConfigException} naming the flag.
 *
 * @param amqpUri {@code --amqp-uri}, {@code FERRY_AMQP_URI}: the broker, default {@code
 *     amqp://guest:guest@127.0.0.1:5672/}; an empty vhost ({@code …:5672/}) means {@code /}; the
 *     password is never logged
 * @param service {@code --service}, {@code FERRY_SERVICE}: the Ferry service whose queue {@code
 *     ferry.req.<service>} is consumed; required, no default
 * @param queueType {@code --queue-type}, {@code FERRY_QUEUE_TYPE}: the type of the request queue
 *     when this sidecar has to declare it, {@code quorum} (default) or {@code classic}; an existing
 *     queue is used as it is
 * @param upstream {@code --upstream}, {@code FERRY_UPSTREAM}: the real service, {@code
 *     http://HOST[:PORT][/BASE-PATH]}, default {@code http://127.0.0.1:8000} unless only {@code
 *     --upstream-grpc} is given (then none: HTTP requests get 502); no port means 80, no path means
 *     none is prefixed; no user info, query or fragment
 * @param upstreamGrpc {@code --upstream-grpc}, {@code FERRY_UPSTREAM_GRPC}: the real gRPC service,
 *     {@code HOST:PORT} (plaintext); none by default (then gRPC calls get UNAVAILABLE with {@code
 *     ferry-error: upstream-unavailable})
 * @param replyCacheEntries {@code --reply-cache-entries}, {@code FERRY_REPLY_CACHE_ENTRIES}: how
 *     many recent replies are kept (each until its request's deadline, 64 MiB of bodies at most) to
 *     answer a request delivered again without running the service twice; default 10000, 0 turns
 *     the cache off
 * @param maxDeliveries {@code --max-deliveries}, {@code FERRY_MAX_DELIVERIES}: a request that a
 *     quorum queue has delivered this many times before ({@code x-delivery-count}) is poison: it
 *     goes to the dead-letter queue without calling the service, and its caller gets 502 {@code
 *     upstream-invalid}; default 5, 0 turns the limit off (classic queues do not count deliveries)
 * @param maxRequests {@code --max-requests}, {@code FERRY_MAX_REQUESTS}: how many requests the
 *     sidecar takes in its lifetime before it stops as on SIGTERM and exits 0 (a KEDA ScaledJob
 *     runs one request per Job with 1); the prefetch is at most this many; a request counts once
 *     acked (answered, also with an error or from the cache; expired; dead-lettered), not when it
 *     goes back to the queue; a gRPC call is one request; default 0, no limit
 * @param concurrency {@code --concurrency}, {@code FERRY_CONCURRENCY}: requests handled at once,
 *     also the consumer prefetch, default 16; 1 to 65535 (0 is rejected)
 * @param adminHost {@code --admin-host}, {@code FERRY_ADMIN_HOST}: address of {@code /healthz},
 *     {@code /readyz} and {@code /metrics}, default {@code 0.0.0.0} (all interfaces)
 * @param adminPort {@code --admin-port}, {@code FERRY_ADMIN_PORT}: their port, default 9091; 0
 *     picks a free one
 * @param maxBodySize {@code --max-body-size}, {@code FERRY_MAX_BODY_SIZE}: the largest response
 *     body taken from the service, default 8 MiB, at most {@link #MAX_BODY_SIZE} (RabbitMQ 3.x's
 *     default {@code max_message_size}); a larger body becomes 502 {@code upstream-invalid}; 0
 *     carries only responses without a body
 * @param drainTimeout {@code --drain-timeout}, {@code FERRY_DRAIN_TIMEOUT}: on SIGTERM, how long
 *     in-flight requests may take to finish, default 30s; 0 does not wait (their requests go back
 *     to the queue when the channel closes)
 * @param maxRetries {@code --max-retries}, {@code FERRY_MAX_RETRIES}: how often one request may be
 *     sent to the service again (idempotent HTTP requests answered 502/503/504 or reset, gRPC calls
 *     that never reached the service), default 2; 0 turns those retries off (failed connection
 *     attempts are still tried again within the request's budget); at most 10
 * @param retryBudget {@code --retry-budget}, {@code FERRY_RETRY_BUDGET}: retries as a percentage of
 *     requests, per upstream (plus a burst of 10), default 20; 0 allows none
 * @param circuitWindow {@code --circuit-window}, {@code FERRY_CIRCUIT_WINDOW}: how many of the last
 *     calls each upstream's circuit breaker judges, default 10; 0 turns the breakers off
 * @param circuitMinimumCalls {@code --circuit-minimum-calls}, {@code FERRY_CIRCUIT_MINIMUM_CALLS}:
 *     calls needed before the breaker judges at all, default 5; 1 to {@code --circuit-window}
 * @param circuitFailureRate {@code --circuit-failure-rate}, {@code FERRY_CIRCUIT_FAILURE_RATE}: the
 *     percentage of failed calls that opens the breaker, default 50; 1 to 100
 * @param circuitOpenDuration {@code --circuit-open-duration}, {@code FERRY_CIRCUIT_OPEN_DURATION}:
 *     how long an open breaker takes no requests before it probes the service and lets a trial
 *     request through, default 5s; more than 0
 * @param signer {@code --signing-key-file}, {@code FERRY_SIGNING_KEY_FILE}: signs what the sidecar
 *     publishes and checks what it consumes; {@link MessageSigner#NONE} without keys
 */
record ServerConfig(
    String amqpUri,
    String service,
    QueueType queueType,
    URI upstream,
    String upstreamGrpc,
    int concurrency,
    int replyCacheEntries,
    int maxDeliveries,
    int maxRequests,
    String adminHost,
    int adminPort,
    long maxBodySize,
    Duration drainTimeout,
    int maxRetries,
    int retryBudget,
    int circuitWindow,
    int circuitMinimumCalls,
    int circuitFailureRate,
    Duration circuitOpenDuration,
    MessageSigner signer) {

  /**
   * The largest {@code --max-body-size}: RabbitMQ 3.x's default {@code max_message_size}, so that
   * the broker never refuses a reply for its size (4.x's default is 16 MiB: stay below the limit of
   * the broker in use).
   */
  static final long MAX_BODY_SIZE = 128L * 1024 * 1024;

  ServerConfig {
    ConfigChecks.amqpUri(amqpUri);
    ConfigChecks.service(service);
    requireNonNull(queueType, "queueType");
    requireNonNull(signer, "signer");
    if (upstream != null) {
      checkUpstream(upstream);
    }
    if (upstreamGrpc != null && !upstreamGrpc.matches("[^:\\s/@]+:\\d{1,5}")) {
      throw new ConfigException("--upstream-grpc: '" + upstreamGrpc + "' (expected: HOST:PORT)");
    }
    if (upstream == null && upstreamGrpc == null) {
      throw new ConfigException(
          "--upstream: missing (expected: --upstream and/or --upstream-grpc)");
    }
    if (concurrency <= 0 || concurrency > 65535) {
      throw new ConfigException("--concurrency: " + concurrency + " (expected: 1..65535)");
    }
    if (replyCacheEntries < 0) {
      throw new ConfigException(
          "--reply-cache-entries: " + replyCacheEntries + " (expected: >= 0)");
    }
    if (maxDeliveries < 0) {
      throw new ConfigException("--max-deliveries: " + maxDeliveries + " (expected: >= 0)");
    }
    if (maxRequests < 0) {
      throw new ConfigException("--max-requests: " + maxRequests + " (expected: >= 0)");
    }
    ConfigChecks.port("--admin-port", adminPort);
    if (maxBodySize < 0 || maxBodySize > MAX_BODY_SIZE) {
      throw new ConfigException(
          "--max-body-size: "
              + maxBodySize
              + " (expected: 0.."
              + MAX_BODY_SIZE
              + " bytes, RabbitMQ's default max_message_size)");
    }
    ConfigChecks.nonNegative("--drain-timeout", drainTimeout);
    checkResilience(
        maxRetries,
        retryBudget,
        circuitWindow,
        circuitMinimumCalls,
        circuitFailureRate,
        circuitOpenDuration);
  }

  /** The largest {@code --max-retries}. */
  static final int MAX_RETRIES = 10;

  private static void checkResilience(
      int maxRetries,
      int retryBudget,
      int circuitWindow,
      int circuitMinimumCalls,
      int circuitFailureRate,
      Duration circuitOpenDuration) {
    if (maxRetries < 0 || maxRetries > MAX_RETRIES) {
      throw new ConfigException(
          "--max-retries: " + maxRetries + " (expected: 0.." + MAX_RETRIES + ")");
    }
    if (retryBudget < 0 || retryBudget > 100) {
      throw new ConfigException("--retry-budget: " + retryBudget + " (expected: 0..100 percent)");
    }
    if (circuitWindow < 0 || circuitWindow > 1000) {
      throw new ConfigException("--circuit-window: " + circuitWindow + " (expected: 0..1000)");
    }
    if (circuitWindow > 0 && (circuitMinimumCalls < 1 || circuitMinimumCalls > circuitWindow)) {
      throw new ConfigException(
          "--circuit-minimum-calls: "
              + circuitMinimumCalls
              + " (expected: 1..--circuit-window, "
              + circuitWindow
              + ")");
    }
    if (circuitFailureRate < 1 || circuitFailureRate > 100) {
      throw new ConfigException(
          "--circuit-failure-rate: " + circuitFailureRate + " (expected: 1..100 percent)");
    }
    ConfigChecks.positive("--circuit-open-duration", circuitOpenDuration);
  }

  CircuitSettings circuitSettings() {
    return new CircuitSettings(
        circuitWindow, circuitMinimumCalls, circuitFailureRate, circuitOpenDuration);
  }

  /** The HTTP upstream when none is given and there is no gRPC upstream either. */
  static final URI DEFAULT_UPSTREAM = URI.create("http://127.0.0.1:8000");

  String upstreamGrpcHost() {
    return upstreamGrpc.substring(0, upstreamGrpc.lastIndexOf(':'));
  }

  int upstreamGrpcPort() {
    return Integer.parseInt(upstreamGrpc.substring(upstreamGrpc.lastIndexOf(':') + 1));
  }

  private static void checkUpstream(URI upstream) {
    String authority = upstream.getRawAuthority();
    if (upstream.getRawUserInfo() != null || (authority != null && authority.contains("@"))) {
      // Not echoed: it may hold a password.
      throw new ConfigException(
          "--upstream: user info is not supported (expected: http://HOST[:PORT][/BASE-PATH])");
    }
    if (!"http".equals(upstream.getScheme())
        || upstream.getHost() == null
        || upstream.getRawQuery() != null
        || upstream.getRawFragment() != null) {
      throw new ConfigException(
          "--upstream: '" + upstream + "' (expected: http://HOST[:PORT][/BASE-PATH])");
    }
  }

  int upstreamPort() {
    return upstream.getPort() < 0 ? 80 : upstream.getPort();
  }

  /** The configuration as one log line, with the broker password redacted. */
  String describe() {
    return "service="
        + service
        + " amqp_uri="
        + AmqpConnector.redact(amqpUri)
        + " queue_type="
        + queueType.argument()
        + " upstream="
        + upstream
        + " upstream_grpc="
        + upstreamGrpc
        + " concurrency="
        + concurrency
        + " reply_cache_entries="
        + replyCacheEntries
        + " max_deliveries="
        + maxDeliveries
        + " max_requests="
        + maxRequests
        + " admin="
        + adminHost
        + ":"
        + adminPort
        + " max_body_size="
        + maxBodySize
        + " drain_timeout="
        + drainTimeout.toMillis()
        + "ms max_retries="
        + maxRetries
        + " retry_budget="
        + retryBudget
        + "% circuit_window="
        + circuitWindow
        + " circuit_minimum_calls="
        + circuitMinimumCalls
        + " circuit_failure_rate="
        + circuitFailureRate
        + "% circuit_open_duration="
        + circuitOpenDuration.toMillis()
        + "ms";
  }
}
