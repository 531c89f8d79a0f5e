package dev.ferry.loadtest.fault;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in this process for putting faults between a sidecar and the broker (the broker fault
 * tests and {@code ferry-loadtest soak} use it): listens on {@code 127.0.0.1} (a free port) and
 * forwards each connection to a target {@code host:port}, with blocking sockets and two threads per
 * direction (one reads, one writes).
 *
 * <ul>
 *   <li>{@link #cut()} resets every proxied connection at once (both sides), as a network cut or a
 *       broker crash would; new connections are still accepted.
 *   <li>{@link #blackhole()} stops forwarding bytes in both directions without closing anything, so
 *       that heartbeats time out; {@link #restore()} resumes. Bytes, and the end of a stream, are
 *       held rather than dropped (up to 4 MiB per direction and connection), so a connection that
 *       survives a blackhole stays intact; {@link #heldBytes()} tells how much is held.
 *   <li>{@link #refuse()} makes the proxy look like a broker that is down: new connections are
 *       accepted and reset at once (the listening port stays the same, so the sidecar's URI does
 *       too); {@link #accept()} ends that. Open connections are not touched: {@code refuse()} then
 *       {@code cut()} takes the broker away.
 *   <li>{@link #delay(Duration)} holds every chunk of bytes, in both directions, until that long
 *       after it was read (a slow network: latency, in order, nothing lost); {@code
 *       delay(Duration.ZERO)} ends that.
 * </ul>
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start("127.0.0.1", 5672)) {
 *   String uri = proxy.amqpUri("amqp://guest:guest@127.0.0.1:5672/");
 *   ...
 *   proxy.cut();
 * }
 * }</pre>
 *
 * <p>Thread-safe. Owns its listening socket, its connections and their (daemon) threads; {@link
 * #close()} releases them and is idempotent.
 */
public final class FaultProxy implements AutoCloseable {
  private static final int BUFFER = 16 * 1024;
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
  private static final int MAX_HELD_CHUNKS = 256; // At most 4 MiB per direction and connection.

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final AtomicInteger sequence = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object gate = new Object(); // Guards blackholed, delayNanos; writers wait on it.
  private boolean blackholed;
  private long delayNanos;
  private volatile boolean refusing;

  private FaultProxy(ServerSocket listener, InetSocketAddress target) {
    this.listener = listener;
    this.target = target;
  }

  /** Starts forwarding {@code 127.0.0.1:<port()>} to {@code host:port}. */
  public static FaultProxy start(String host, int port) throws IOException {
    ServerSocket listener = new ServerSocket();
    listener.setReuseAddress(true);
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    FaultProxy proxy = new FaultProxy(listener, new InetSocketAddress(host, port));
    Thread acceptor = new Thread(proxy::acceptLoop, "fault-proxy-accept-" + proxy.port());
    acceptor.setDaemon(true);
    acceptor.start();
    return proxy;
  }

  /** Starts a proxy to the host and port of the AMQP URI {@code brokerUri} (5672 by default). */
  public static FaultProxy toBroker(String brokerUri) throws IOException {
    URI uri = URI.create(brokerUri);
    return start(uri.getHost(), uri.getPort() < 0 ? 5672 : uri.getPort());
  }

  /** {@code brokerUri} (credentials, vhost and all) pointed at this proxy instead. */
  public String amqpUri(String brokerUri) {
    URI uri = URI.create(brokerUri);
    // Raw parts, put together by hand: URI's multi-part constructors would quote their escapes.
    return uri.getScheme()
        + "://"
        + (uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@")
        + "127.0.0.1:"
        + port()
        + (uri.getRawPath() == null ? "" : uri.getRawPath())
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
  }

  /** The port this proxy listens on (on 127.0.0.1). */
  public int port() {
    return listener.getLocalPort();
  }

  /**
   * Bytes read from one side and not yet written to the other: while blackholed, everything the
   * peers sent since (e.g. publishes that will never be confirmed, or deliveries that will never
   * arrive). Bytes held by a connection that is then cut are dropped, and no longer counted.
   */
  public long heldBytes() {
    long total = 0;
    for (Link link : links) {
      total += link.held.get();
    }
    return total;
  }

  /** Connections proxied now (accepted and not closed yet). */
  public int connections() {
    return links.size();
  }

  /** Resets every proxied connection, both sides, at once; keeps accepting new ones. */
  public void cut() {
    for (Link link : List.copyOf(links)) {
      link.close();
    }
  }

  /** Stops forwarding bytes in both directions, holding them, without closing anything. */
  public void blackhole() {
    synchronized (gate) {
      blackholed = true;
    }
  }

  /** Forwards again what {@link #blackhole()} held, and what comes next. */
  public void restore() {
    synchronized (gate) {
      blackholed = false;
      gate.notifyAll();
    }
  }

  /**
   * Forwards each chunk of bytes (both directions, all connections, open and new) no earlier than
   * {@code latency} after it was read; {@link Duration#ZERO} forwards at once again. Chunks keep
   * their order, so a chunk also waits for the ones before it.
   */
  public void delay(Duration latency) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency: " + latency + " (expected: >= 0)");
    }
    synchronized (gate) {
      delayNanos = latency.toNanos();
      gate.notifyAll();
    }
  }

  /** Resets new connections as soon as they are accepted, until {@link #accept()}. */
  public void refuse() {
    refusing = true;
  }

  /** Proxies new connections again. */
  public void accept() {
    refusing = false;
  }

  /** Stops listening and resets every proxied connection. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeQuietly(listener);
    cut();
    restore(); // Wakes held writers; their links are closed, so they end.
  }

  private void acceptLoop() {
    while (!closed.get()) {
      Socket caller;
      try {
        caller = listener.accept();
      } catch (IOException e) {
        return; // The listener is closed.
      }
      if (refusing || closed.get()) {
        reset(caller);
        continue;
      }
      Link link = new Link(caller, sequence.incrementAndGet());
      links.add(link);
      if (closed.get()) {
        link.close(); // close() ran between the check above and the add.
        continue;
      }
      link.start();
    }
  }

  /**
   * Waits while {@code chunk} is held (blackholed, or not yet due under a delay); false when {@code
   * link} closed meanwhile.
   */
  private boolean awaitForwarding(Link link, Chunk chunk) throws InterruptedException {
    synchronized (gate) {
      while (!link.closed.get()) {
        if (blackholed) {
          gate.wait();
          continue;
        }
        long wait = chunk.readAtNanos() + delayNanos - System.nanoTime();
        if (wait <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(gate, wait);
      }
    }
    return !link.closed.get();
  }

  /**
   * Bytes read from one side, and when ({@link System#nanoTime()}); no bytes means the end of the
   * stream, which is held like any byte.
   */
  private record Chunk(byte[] bytes, long readAtNanos) {
    static Chunk end() {
      return new Chunk(new byte[0], System.nanoTime());
    }

    boolean isEnd() {
      return bytes.length == 0;
    }
  }

  /**
   * One proxied connection: the caller's socket, the target's, and per direction a reader (which
   * keeps reading, so that what a peer sent is counted as held at once) and a writer (which waits
   * while the proxy is blackholed or delays).
   */
  private final class Link {
    final Socket caller;
    final Socket callee = new Socket();
    final int id;
    final AtomicBoolean closed = new AtomicBoolean();
    final AtomicLong held = new AtomicLong();

    Link(Socket caller, int id) {
      this.caller = caller;
      this.id = id;
    }

    void start() {
      thread("connect", this::connectAndPump);
    }

    private void thread(String role, Runnable body) {
      Thread thread = new Thread(body, "fault-proxy-" + port() + "-" + id + "-" + role);
      thread.setDaemon(true);
      thread.start();
    }

    /** Connects to the target, then starts both directions. */
    private void connectAndPump() {
      try {
        callee.connect(target, CONNECT_TIMEOUT_MILLIS);
      } catch (IOException e) {
        close(); // The target is down: so is the proxied connection.
        return;
      }
      BlockingQueue<Chunk> up = new ArrayBlockingQueue<>(MAX_HELD_CHUNKS);
      BlockingQueue<Chunk> down = new ArrayBlockingQueue<>(MAX_HELD_CHUNKS);
      thread("up-read", () -> read(caller, up));
      thread("up-write", () -> write(up, callee));
      thread("down-read", () -> read(callee, down));
      thread("down-write", () -> write(down, caller));
    }

    /** Reads {@code from} into {@code chunks} until it ends, then queues the end. */
    private void read(Socket from, BlockingQueue<Chunk> chunks) {
      byte[] buffer = new byte[BUFFER];
      try {
        InputStream in = from.getInputStream();
        int n;
        while ((n = in.read(buffer)) >= 0) {
          held.addAndGet(n);
          // Waits when MAX_HELD_CHUNKS are held.
          chunks.put(new Chunk(Arrays.copyOf(buffer, n), System.nanoTime()));
        }
      } catch (IOException e) {
        // Reset by the peer, or closed by cut(): the end, held like any byte.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (!chunks.offer(Chunk.end())) {
        close(); // Full: its writer may be held, so end the connection here.
      }
    }

    /** Writes what {@code chunks} holds to {@code to}, waiting while held, until the end. */
    private void write(BlockingQueue<Chunk> chunks, Socket to) {
      try {
        OutputStream out = to.getOutputStream();
        while (true) {
          Chunk chunk = chunks.take();
          if (!awaitForwarding(this, chunk) || chunk.isEnd()) {
            return;
          }
          out.write(chunk.bytes());
          out.flush();
          held.addAndGet(-chunk.bytes().length);
        }
      } catch (IOException e) {
        // The peer is gone: the connection ends.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        close();
        chunks.clear(); // Nothing of it will be forwarded any more.
      }
    }

    /** Resets both sides; idempotent. */
    void close() {
      if (closed.compareAndSet(false, true)) {
        reset(caller);
        reset(callee);
        links.remove(this);
        synchronized (gate) {
          gate.notifyAll(); // Its writers may be held.
        }
      }
    }
  }

  /** Closes {@code socket} with a reset (SO_LINGER 0) rather than an orderly FIN. */
  private static void reset(Socket socket) {
    try {
      if (!socket.isClosed()) {
        socket.setSoLinger(true, 0);
      }
    } catch (SocketException e) {
      // Not connected (yet): a plain close will do.
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // Nothing left to release.
    }
  }
}
