package dev.ferry.loadtest.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fault proxy against a local socket server whose end of each connection the test drives. */
@Timeout(30)
class FaultProxyTest {
  /** How long "nothing happens" must hold; Awaitility checks it throughout, not once. */
  private static final Duration QUIET = Duration.ofMillis(300);

  private Target target;
  private FaultProxy proxy;
  private final List<Socket> sockets = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    target = new Target();
    proxy = FaultProxy.start("127.0.0.1", target.port());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    target.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }

  @Test
  void forwardsBytesBothWaysAndCountsConnections() throws Exception {
    Socket caller = connect();
    Socket callee = target.next();

    send(caller, "ping");
    assertThat(receive(callee, 4)).isEqualTo("ping");
    send(callee, "pong");
    assertThat(receive(caller, 4)).isEqualTo("pong");
    assertThat(proxy.connections()).isEqualTo(1);

    caller.close();
    assertEnded(callee);
    await().until(() -> proxy.connections() == 0);
  }

  @Test
  void cutResetsEveryConnectionAndKeepsAccepting() throws Exception {
    Socket first = connect();
    Socket firstCallee = target.next();
    Socket second = connect();
    Socket secondCallee = target.next();
    await().until(() -> proxy.connections() == 2);

    proxy.cut();

    assertEnded(first);
    assertEnded(second);
    assertEnded(firstCallee);
    assertEnded(secondCallee);
    assertThat(proxy.connections()).isZero();
    Socket third = connect();
    Socket thirdCallee = target.next();
    send(third, "again");
    assertThat(receive(thirdCallee, 5)).isEqualTo("again");
  }

  @Test
  void blackholeHoldsBytesBothWaysWithoutClosingUntilRestore() throws Exception {
    Socket caller = connect();
    Socket callee = target.next();
    send(caller, "a");
    assertThat(receive(callee, 1)).isEqualTo("a");

    proxy.blackhole();
    send(caller, "up");
    send(callee, "down");

    await().until(() -> proxy.heldBytes() == 6);
    await()
        .during(QUIET)
        .atMost(QUIET.multipliedBy(3))
        .until(
            () ->
                callee.getInputStream().available() == 0
                    && caller.getInputStream().available() == 0
                    && proxy.connections() == 1);
    proxy.restore();
    assertThat(receive(callee, 2)).isEqualTo("up");
    assertThat(receive(caller, 4)).isEqualTo("down");
    await().until(() -> proxy.heldBytes() == 0);
  }

  @Test
  void blackholeHoldsTheEndOfAStreamToo() throws Exception {
    Socket caller = connect();
    Socket callee = target.next();
    proxy.blackhole();

    caller.close();

    await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> proxy.connections() == 1);
    proxy.restore();
    assertEnded(callee);
    await().until(() -> proxy.connections() == 0);
  }

  @Test
  void blackholeAppliesToNewConnectionsAndCutStillEndsThem() throws Exception {
    proxy.blackhole();
    Socket caller = connect();
    Socket callee = target.next();
    send(caller, "held");

    await()
        .during(QUIET)
        .atMost(QUIET.multipliedBy(3))
        .until(() -> callee.getInputStream().available() == 0);
    proxy.cut();
    assertEnded(caller);
    assertEnded(callee);
    assertThat(proxy.connections()).isZero();
    assertThat(proxy.heldBytes()).as("held bytes of cut connections are dropped").isZero();
  }

  @Test
  void delayHoldsEachChunkThatLongInOrderUntilSetToZero() throws Exception {
    Socket caller = connect();
    Socket callee = target.next();
    Duration latency = Duration.ofSeconds(1);
    proxy.delay(latency);

    long sent = System.nanoTime();
    send(caller, "one");
    send(caller, "two");

    await()
        .during(QUIET)
        .atMost(QUIET.multipliedBy(2))
        .until(() -> callee.getInputStream().available() == 0);
    assertThat(receive(callee, 6)).isEqualTo("onetwo");
    assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(latency);
    proxy.delay(Duration.ZERO);
    long answered = System.nanoTime();
    send(callee, "back");
    assertThat(receive(caller, 4)).isEqualTo("back");
    assertThat(Duration.ofNanos(System.nanoTime() - answered)).isLessThan(latency);
    assertThat(proxy.connections()).isEqualTo(1);
  }

  @Test
  void refuseResetsNewConnectionsKeepsOpenOnesAndAcceptEndsIt() throws Exception {
    Socket open = connect();
    Socket openCallee = target.next();
    await().until(() -> proxy.connections() == 1);

    proxy.refuse();
    Socket refused = connect();

    assertEnded(refused);
    assertThat(target.accepted()).isEqualTo(1);
    send(open, "still");
    assertThat(receive(openCallee, 5)).isEqualTo("still");

    proxy.accept();
    Socket accepted = connect();
    Socket acceptedCallee = target.next();
    send(accepted, "in");
    assertThat(receive(acceptedCallee, 2)).isEqualTo("in");
  }

  @Test
  void endsTheConnectionWhenTheTargetIsDown() throws Exception {
    target.close();

    Socket caller = connect();

    assertEnded(caller);
    await().until(() -> proxy.connections() == 0);
  }

  @Test
  void closeStopsListeningAndResetsConnections() throws Exception {
    Socket caller = connect();
    Socket callee = target.next();
    int port = proxy.port();

    proxy.close();
    proxy.close();

    assertEnded(caller);
    assertEnded(callee);
    try (Socket late = new Socket()) {
      late.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
      // Refused, normally; but the freed port may be taken by anyone (or TCP's self-connect).
    } catch (IOException expected) {
      // Nobody listens any more.
    }
    assertThat(target.accepted()).as("connections the proxy opened").isEqualTo(1);
    assertThat(proxy.connections()).isZero();
  }

  @Test
  void pointsAnAmqpUriAtItself() throws IOException {
    try (FaultProxy broker = FaultProxy.toBroker("amqp://guest:s%40cret@10.0.0.7:5673/%2Fferry")) {
      assertThat(broker.amqpUri("amqp://guest:s%40cret@10.0.0.7:5673/%2Fferry"))
          .isEqualTo("amqp://guest:s%40cret@127.0.0.1:" + broker.port() + "/%2Fferry");
      assertThat(broker.amqpUri("amqp://guest:guest@rabbit/"))
          .isEqualTo("amqp://guest:guest@127.0.0.1:" + broker.port() + "/");
    }
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    socket.setSoTimeout(10_000); // A test that goes wrong fails instead of hanging.
    sockets.add(socket);
    return socket;
  }

  private static void send(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
  }

  private static String receive(Socket socket, int length) throws IOException {
    return new String(socket.getInputStream().readNBytes(length), StandardCharsets.US_ASCII);
  }

  /** The peer closed or reset the connection: reading ends instead of waiting. */
  private static void assertEnded(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    try {
      assertThat(in.read()).isEqualTo(-1);
    } catch (SocketException e) {
      assertThat(e).hasMessageContaining("reset");
    }
  }

  /** The proxy's target: hands each accepted connection to the test. */
  private static final class Target implements AutoCloseable {
    private final ServerSocket server = new ServerSocket();
    private final BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
    private final List<Socket> all = new ArrayList<>();

    Target() throws IOException {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-test-target");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void acceptLoop() {
      try {
        while (true) {
          Socket socket = server.accept();
          socket.setSoTimeout(10_000);
          synchronized (all) {
            all.add(socket);
          }
          accepted.add(socket);
        }
      } catch (IOException e) {
        // Closed.
      }
    }

    /** The next connection the proxy opened to this target. */
    Socket next() throws InterruptedException {
      Socket socket = accepted.poll(10, TimeUnit.SECONDS);
      assertThat(socket).as("a connection from the proxy").isNotNull();
      return socket;
    }

    /** How many connections the proxy has opened to this target. */
    int accepted() {
      synchronized (all) {
        return all.size();
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      synchronized (all) {
        for (Socket socket : all) {
          socket.close();
        }
      }
    }
  }
}
