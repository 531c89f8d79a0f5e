package dev.ferry.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny service for tests on 127.0.0.1: answers every request {@code 200 hello <path>} and counts
 * the requests and the connections they came on.
 */
public final class CountingUpstream implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicInteger calls = new AtomicInteger();
  private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();

  private CountingUpstream(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts one on a free port. */
  public static CountingUpstream start() throws IOException {
    return start(0);
  }

  /** Starts one on {@code port} (0: a free one). */
  public static CountingUpstream start(int port) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    ExecutorService executor = Executors.newFixedThreadPool(4);
    CountingUpstream upstream = new CountingUpstream(server, executor);
    server.createContext("/", upstream::answer);
    server.setExecutor(executor);
    server.start();
    return upstream;
  }

  /** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange;
        InputStream in = exchange.getRequestBody()) {
      in.readAllBytes();
      calls.incrementAndGet();
      clientPorts.add(exchange.getRemoteAddress().getPort());
      byte[] body =
          ("hello " + exchange.getRequestURI().getRawPath()).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("content-type", "text/plain");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String uri() {
    return "http://127.0.0.1:" + port();
  }

  /** Requests answered so far. */
  public int calls() {
    return calls.get();
  }

  /** Distinct connections the requests came on. */
  public int connections() {
    return clientPorts.size();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
