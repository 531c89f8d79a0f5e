package dev.ferry.loadtest.soak;

import dev.ferry.loadtest.echo.EchoObserver;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Records what the service executed: every request that reaches the echo upstream, by its token.
 * Each server sidecar process calls the echo under a base path of its own ({@code /p<id>}), so the
 * target tells which process executed it: {@code /p<id>/soak/<token>?...}. Thread-safe.
 */
final class Executions implements EchoObserver {
  private static final Pattern TARGET = Pattern.compile("/p(\\d+)/soak/([^/?]+)");

  private final Map<String, List<Execution>> byToken = new ConcurrentHashMap<>();
  private final LongAdder total = new LongAdder();
  private final LongAdder stray = new LongAdder();

  /** The path a server sidecar process gives its upstream: {@code /p<id>}. */
  static String basePath(int process) {
    return "/p" + process;
  }

  @Override
  public void arrived(String method, String uri, HttpHeaders headers) {
    long at = System.nanoTime();
    total.increment();
    Matcher matcher = TARGET.matcher(uri);
    if (!matcher.lookingAt()) {
      stray.increment();
      return;
    }
    add(
        matcher.group(2),
        new Execution(
            Integer.parseInt(matcher.group(1)),
            at,
            "true".equalsIgnoreCase(headers.get("ferry-redelivered"))));
  }

  /** Records that the request with {@code token} was executed. */
  void add(String token, Execution execution) {
    List<Execution> executions = byToken.computeIfAbsent(token, t -> new ArrayList<>());
    synchronized (executions) {
      executions.add(execution);
    }
  }

  /** The executions of the request with {@code token}, earliest first; empty if none. */
  List<Execution> of(String token) {
    List<Execution> executions = byToken.get(token);
    if (executions == null) {
      return List.of();
    }
    List<Execution> copy;
    synchronized (executions) {
      copy = new ArrayList<>(executions);
    }
    copy.sort(Comparator.comparingLong(Execution::atNanos));
    return copy;
  }

  /** Tokens executed at least once. */
  List<String> tokens() {
    return List.copyOf(byToken.keySet());
  }

  /** Every request that reached the echo endpoint. */
  long total() {
    return total.sum();
  }

  /** Requests that reached the echo endpoint without a soak target (must not happen). */
  long stray() {
    return stray.sum();
  }
}
