package dev.ferry.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The named conditions under which a sidecar is ready (e.g. {@code broker}, {@code consuming},
 * {@code upstream}), and a draining switch that makes it not-ready at once. Thread-safe.
 */
public final class Readiness {
  private final Map<String, BooleanSupplier> checks = new ConcurrentHashMap<>();
  private final AtomicBoolean draining = new AtomicBoolean();

  /** Adds or replaces the condition {@code name}. */
  public void add(String name, BooleanSupplier check) {
    checks.put(name, check);
  }

  /** Makes the sidecar not-ready for good: it is shutting down. */
  public void drain() {
    draining.set(true);
  }

  public boolean isDraining() {
    return draining.get();
  }

  /** The names of the conditions that do not hold now; empty when ready. */
  public List<String> failing() {
    List<String> failing = new ArrayList<>();
    if (draining.get()) {
      failing.add("draining");
    }
    checks.forEach(
        (name, check) -> {
          if (!check.getAsBoolean()) {
            failing.add(name);
          }
        });
    failing.sort(null);
    return failing;
  }

  public boolean isReady() {
    return failing().isEmpty();
  }
}
