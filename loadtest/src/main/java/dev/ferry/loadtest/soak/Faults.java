package dev.ferry.loadtest.soak;

import dev.ferry.loadtest.fault.FaultProxy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Injects the soak's faults: each call of {@link #injectNext()} takes the next kind from a shuffled
 * bag of the configured kinds (so that every kind comes up once per round), a random target, and
 * applies it. Blackholes and delays last a random 1 to 5 seconds (at most three quarters of the
 * interval between faults, so that one is healed before the next fault; well below the 10 s AMQP
 * heartbeat, so connections survive them) and are healed on the control scheduler.
 *
 * <p>Confined to the soak's control scheduler thread, except {@link #history()} and {@link
 * #healAll()}, which may be called once that scheduler has stopped.
 */
final class Faults {
  private static final Duration LONGEST_OUTAGE = Duration.ofSeconds(5);

  private final SoakConfig config;
  private final FaultProxy clientProxy;
  private final List<FaultProxy> serverProxies;
  private final Sidecars sidecars;
  private final ScheduledExecutorService control;
  private final Consumer<String> print;
  private final Random random;
  private final List<FaultKind> bag = new ArrayList<>();
  private final List<FaultEvent> history = new CopyOnWriteArrayList<>();
  private final String amqpUri;
  private final long limit;

  Faults(
      SoakConfig config,
      FaultProxy clientProxy,
      List<FaultProxy> serverProxies,
      Sidecars sidecars,
      ScheduledExecutorService control,
      Consumer<String> print) {
    this.config = config;
    this.clientProxy = clientProxy;
    this.serverProxies = List.copyOf(serverProxies);
    this.sidecars = sidecars;
    this.control = control;
    this.print = print;
    this.random = new Random(config.seed());
    this.amqpUri = config.amqpUri();
    this.limit = (config.duration().toNanos() - 1) / config.faultEvery().toNanos();
  }

  /**
   * Injects one fault and prints a line about it; does nothing once the soak has had its share: one
   * per {@code --fault-every} strictly within {@code --duration} (none at its very end).
   */
  void injectNext() {
    if (history.size() >= limit) {
      return;
    }
    if (bag.isEmpty()) {
      bag.addAll(config.faults());
      Collections.sort(bag); // The set's order is not stable; the seed should be.
      Collections.shuffle(bag, random);
    }
    FaultKind kind = bag.remove(bag.size() - 1);
    int slot = kind.targetsServer() ? random.nextInt(serverProxies.size()) : -1;
    try {
      apply(kind, slot);
    } catch (IOException | RuntimeException e) {
      print.accept("fault " + kind.label() + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void apply(FaultKind kind, int slot) throws IOException, InterruptedException {
    long at = System.nanoTime();
    FaultProxy proxy = slot < 0 ? clientProxy : serverProxies.get(slot);
    SidecarProcess target = slot < 0 ? sidecars.client() : sidecars.server(slot);
    String detail;
    long until = at;
    switch (kind) {
      case CUT_CLIENT, CUT_SERVER -> {
        detail = "connections reset: " + proxy.connections();
        proxy.cut();
      }
      case BLACKHOLE_CLIENT, BLACKHOLE_SERVER -> {
        Duration outage = outage();
        proxy.blackhole();
        until = at + outage.toNanos();
        detail = "for " + seconds(outage);
        control.schedule(proxy::restore, outage.toNanos(), TimeUnit.NANOSECONDS);
      }
      case DELAY_CLIENT, DELAY_SERVER -> {
        Duration outage = outage();
        Duration latency = Duration.ofMillis(200 + random.nextInt(801));
        proxy.delay(latency);
        until = at + outage.toNanos();
        detail = latency.toMillis() + " ms each way for " + seconds(outage);
        control.schedule(() -> proxy.delay(Duration.ZERO), outage.toNanos(), TimeUnit.NANOSECONDS);
      }
      case KILL_SERVER -> {
        target.kill();
        detail = "SIGKILL; " + replace(slot);
      }
      case TERM_SERVER -> {
        target.terminate();
        detail = "SIGTERM (drains); " + replace(slot);
      }
      default -> throw new IllegalStateException("unknown fault " + kind);
    }
    history.add(new FaultEvent(at, until, kind, slot, target.id(), detail));
    print.accept(
        "fault #" + history.size() + " " + kind.label() + ": " + target.name() + ", " + detail);
  }

  private String replace(int slot) throws IOException {
    FaultProxy proxy = serverProxies.get(slot);
    SidecarProcess started = sidecars.startServer(slot, proxy.amqpUri(amqpUri));
    return "started " + started.name() + " pid " + started.pid();
  }

  /** A random outage of 1..5 s, at most three quarters of the interval between faults. */
  private Duration outage() {
    long most = Math.min(LONGEST_OUTAGE.toMillis(), config.faultEvery().toMillis() * 3 / 4);
    long least = Math.min(1_000, most / 2);
    return Duration.ofMillis(least + random.nextLong(most - least + 1));
  }

  /** Ends every blackhole and delay now (the end of the soak). */
  void healAll() {
    for (FaultProxy proxy : allProxies()) {
      proxy.restore();
      proxy.delay(Duration.ZERO);
    }
  }

  private List<FaultProxy> allProxies() {
    List<FaultProxy> proxies = new ArrayList<>(serverProxies);
    proxies.add(clientProxy);
    return proxies;
  }

  /** Every fault injected so far, in order. */
  List<FaultEvent> history() {
    return List.copyOf(history);
  }

  private static String seconds(Duration duration) {
    return String.format("%.1f s", duration.toMillis() / 1000.0);
  }
}
