package dev.ferry.common;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Runs an orderly stop on SIGTERM and SIGINT and then exits with status 0 (a JVM shutdown hook
 * alone would exit 143). A second signal while stopping exits at once with status 1.
 */
public final class Signals {
  private static final Logger logger = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /** Calls {@code stop} on a new thread when SIGTERM or SIGINT arrives, then exits 0. */
  public static void onTerminate(Runnable stop) {
    Thread stopper =
        new Thread(
            () -> {
              try {
                stop.run();
              } catch (RuntimeException e) {
                logger.error("stop failed", e);
                Runtime.getRuntime().halt(1);
              }
              System.exit(0);
            },
            "ferry-stop");
    AtomicBoolean started = new AtomicBoolean();
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(
          new Signal(name),
          signal -> {
            if (started.compareAndSet(false, true)) {
              logger.info("received SIG{}, draining", signal.getName());
              stopper.start();
            } else {
              logger.warn("received SIG{} while draining, exiting now", signal.getName());
              Runtime.getRuntime().halt(1);
            }
          });
    }
  }
}
