package dev.ferry.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.ferry.common.RawGrpc;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny real gRPC service on 127.0.0.1 that needs no protos: every method carries raw bytes, and
 * what it does is in its name. Calls are told apart by their {@code x-test-id} metadata.
 *
 * <ul>
 *   <li>{@code test.Raw/Collect}: takes every message; after the half-close answers with their
 *       count (as text) and OK.
 *   <li>{@code test.Raw/Hang}: takes every message and never answers.
 *   <li>{@code test.Raw/Hold}: takes no message at all (its flow-control window fills) and never
 *       answers.
 *   <li>{@code test.Raw/Stream}: sends its headers, then as many messages as the request's text
 *       says, then OK.
 *   <li>{@code test.Raw/Big}: answers with a message of as many bytes as the request's text says.
 *   <li>{@code test.Raw/Status}: ends at once with the status code the request's text says and the
 *       message {@code service says no}.
 * </ul>
 */
final class RawGrpcService implements AutoCloseable {
  static final Metadata.Key<String> TEST_ID =
      Metadata.Key.of("x-test-id", Metadata.ASCII_STRING_MARSHALLER);

  private final Server server;
  private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> started = new ConcurrentHashMap<>();
  private final Set<String> cancelled = ConcurrentHashMap.newKeySet();

  RawGrpcService() throws IOException {
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            // A small fixed window, so that a method that takes nothing soon stops its caller.
            .initialFlowControlWindow(65_535)
            .directExecutor()
            .fallbackHandlerRegistry(
                new HandlerRegistry() {
                  @Override
                  public ServerMethodDefinition<?, ?> lookupMethod(
                      String method, String authority) {
                    return ServerMethodDefinition.create(RawGrpc.method(method), handler(method));
                  }
                })
            .build()
            .start();
  }

  int port() {
    return server.getPort();
  }

  /** Messages the call {@code id} has taken, including the first. */
  int received(String id) {
    AtomicInteger count = received.get(id);
    return count == null ? 0 : count.get();
  }

  /** How often a call {@code id} started. */
  int started(String id) {
    AtomicInteger count = started.get(id);
    return count == null ? 0 : count.get();
  }

  /** Whether a call {@code id} was cancelled by its caller. */
  boolean cancelled(String id) {
    return cancelled.contains(id);
  }

  private ServerCallHandler<byte[], byte[]> handler(String method) {
    return (call, headers) -> {
      String id = String.valueOf(headers.get(TEST_ID));
      started.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
      AtomicInteger count = received.computeIfAbsent(id, key -> new AtomicInteger());
      if (!method.endsWith("/Hold")) {
        call.request(Integer.MAX_VALUE);
      }
      return new ServerCall.Listener<>() {
        private byte[] last;

        @Override
        public void onMessage(byte[] message) {
          count.incrementAndGet();
          last = message;
          if (method.endsWith("/Status")) {
            int code = Integer.parseInt(new String(message, UTF_8));
            call.close(Status.fromCodeValue(code).withDescription("service says no"), trailers());
          }
        }

        @Override
        public void onHalfClose() {
          if (method.endsWith("/Collect")) {
            answer(call, List.of(String.valueOf(count.get()).getBytes(UTF_8)));
          } else if (method.endsWith("/Stream")) {
            int messages = Integer.parseInt(new String(last, UTF_8));
            byte[][] answers = new byte[messages][];
            for (int i = 0; i < messages; i++) {
              answers[i] = ("m-" + i).getBytes(UTF_8);
            }
            answer(call, List.of(answers));
          } else if (method.endsWith("/Big")) {
            answer(call, List.of(new byte[Integer.parseInt(new String(last, UTF_8))]));
          }
        }

        @Override
        public void onCancel() {
          cancelled.add(id);
        }
      };
    };
  }

  private static void answer(ServerCall<byte[], byte[]> call, List<byte[]> messages) {
    call.sendHeaders(new Metadata());
    for (byte[] message : messages) {
      call.sendMessage(message);
    }
    call.close(Status.OK, new Metadata());
  }

  private static Metadata trailers() {
    Metadata trailers = new Metadata();
    trailers.put(Metadata.Key.of("x-trailer", Metadata.ASCII_STRING_MARSHALLER), "from-service");
    return trailers;
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }
}
