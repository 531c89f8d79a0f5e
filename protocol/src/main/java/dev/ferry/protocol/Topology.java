package dev.ferry.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Names Ferry's queues and gives their arguments ({@code dev.ferry.common.Topologies} declares
 * them). Both sidecars declare a service's request queue with exactly the same arguments, so either
 * may come first; an existing queue is used as it is.
 */
public final class Topology {
  /** Prefix of a service's request queue: {@code ferry.req.<service>}. */
  public static final String REQUEST_PREFIX = "ferry.req.";

  /** Prefix of a service's dead-letter queue: {@code ferry.dlq.<service>}. */
  public static final String DEAD_LETTER_PREFIX = "ferry.dlq.";

  /** Prefix of a client sidecar instance's reply queue: {@code ferry.reply.<instance>}. */
  public static final String REPLY_PREFIX = "ferry.reply.";

  /** Prefix of a server sidecar instance's call queue: {@code ferry.call.<instance>}. */
  public static final String CALL_PREFIX = "ferry.call.";

  /** A reply queue is deleted by the broker after this long without a consumer. */
  public static final int REPLY_QUEUE_EXPIRES_MILLIS = 60_000;

  /** The dead-letter queue keeps at most this many messages, dropping the oldest. */
  public static final int DEAD_LETTER_MAX_LENGTH = 10_000;

  private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

  private Topology() {}

  /**
   * Checks a service name: 1 to 200 of {@code A-Z a-z 0-9 . _ -}, starting with a letter or digit.
   */
  public static String checkServiceName(String service) {
    if (service == null || !SERVICE_NAME.matcher(service).matches()) {
      throw new IllegalArgumentException(
          "service: '"
              + service
              + "' (expected: 1-200 of A-Z a-z 0-9 . _ -, not starting with . _ -)");
    }
    return service;
  }

  public static String requestQueue(String service) {
    return REQUEST_PREFIX + checkServiceName(service);
  }

  public static String deadLetterQueue(String service) {
    return DEAD_LETTER_PREFIX + checkServiceName(service);
  }

  public static String replyQueue(String instanceId) {
    return REPLY_PREFIX + instanceId;
  }

  public static String callQueue(String instanceId) {
    return CALL_PREFIX + instanceId;
  }

  /**
   * The fanout exchange that tells every server sidecar of {@code service} about cancelled calls.
   */
  public static String controlExchange(String service) {
    return "ferry.control." + checkServiceName(service);
  }

  /** The arguments every sidecar declares {@code ferry.req.<service>} with. */
  public static Map<String, Object> requestQueueArguments(QueueType type) {
    Map<String, Object> arguments = new LinkedHashMap<>();
    arguments.put("x-queue-type", type.argument());
    return arguments;
  }

  /**
   * The arguments of a service's dead-letter queue: classic, at most {@link
   * #DEAD_LETTER_MAX_LENGTH}.
   */
  public static Map<String, Object> deadLetterQueueArguments() {
    Map<String, Object> arguments = new LinkedHashMap<>();
    arguments.put("x-queue-type", QueueType.CLASSIC.argument());
    arguments.put("x-max-length", DEAD_LETTER_MAX_LENGTH);
    return arguments;
  }

  /**
   * The arguments of a client instance's reply queue: classic, deleted by the broker {@link
   * #REPLY_QUEUE_EXPIRES_MILLIS} after its last consumer went away.
   */
  public static Map<String, Object> replyQueueArguments() {
    Map<String, Object> arguments = new LinkedHashMap<>();
    arguments.put("x-queue-type", QueueType.CLASSIC.argument());
    arguments.put("x-expires", REPLY_QUEUE_EXPIRES_MILLIS);
    return arguments;
  }
}
