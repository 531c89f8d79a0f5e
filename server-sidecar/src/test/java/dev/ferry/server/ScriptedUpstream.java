package dev.ferry.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A tiny service for tests on 127.0.0.1 that answers as it is told: the scripted answers first, one
 * per request, then its standing answer (200 by default). Records when each request came and its
 * method.
 */
final class ScriptedUpstream implements AutoCloseable {
  /** An answer: its status and, unless null, its {@code Retry-After}. */
  record Answer(int status, String retryAfter) {}

  /** One request as it arrived. */
  record Call(String method, long atNanos) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final Queue<Answer> script = new ConcurrentLinkedQueue<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private volatile Answer standing = new Answer(200, null);

  private ScriptedUpstream(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  static ScriptedUpstream start() throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    ExecutorService executor = Executors.newFixedThreadPool(4);
    ScriptedUpstream upstream = new ScriptedUpstream(server, executor);
    server.createContext("/", upstream::answer);
    server.setExecutor(executor);
    server.start();
    return upstream;
  }

  /** The next request not yet scripted gets {@code status} (with {@code retryAfter}, if any). */
  ScriptedUpstream then(int status, String retryAfter) {
    script.add(new Answer(status, retryAfter));
    return this;
  }

  /** Requests beyond the script get {@code status} from now on. */
  void answerAlways(int status) {
    standing = new Answer(status, null);
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange;
        InputStream in = exchange.getRequestBody()) {
      in.readAllBytes();
      calls.add(new Call(exchange.getRequestMethod(), System.nanoTime()));
      Answer scripted = script.poll();
      Answer answer = scripted != null ? scripted : standing;
      byte[] body = ("status " + answer.status()).getBytes(StandardCharsets.UTF_8);
      if (answer.retryAfter() != null) {
        exchange.getResponseHeaders().set("Retry-After", answer.retryAfter());
      }
      exchange.getResponseHeaders().set("content-type", "text/plain");
      exchange.sendResponseHeaders(answer.status(), body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  String uri() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  int calls() {
    return calls.size();
  }

  List<Call> callList() {
    return List.copyOf(calls);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
