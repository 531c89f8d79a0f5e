package dev.ferry.common;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared executor: what one call's callbacks
 * need when they come from several threads. Never throws at its caller: a task that fails is logged
 * and the next one runs; when the shared executor refuses work (it is shutting down), the tasks run
 * on the submitting thread instead, so that none is lost. Thread-safe.
 */
public final class SerialExecutor implements Executor {
  private static final Logger logger = LoggerFactory.getLogger(SerialExecutor.class);

  private final Executor delegate;
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private boolean running;

  public SerialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (tasks) {
      tasks.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    try {
      delegate.execute(this::drain);
    } catch (RejectedExecutionException e) {
      drain();
    }
  }

  private void drain() {
    try {
      while (true) {
        Runnable task;
        synchronized (tasks) {
          task = tasks.poll();
          if (task == null) {
            running = false;
            return;
          }
        }
        try {
          task.run();
        } catch (Throwable e) {
          logger.warn("task failed", e);
        }
      }
    } finally {
      synchronized (tasks) {
        if (running && tasks.isEmpty()) {
          running = false;
        }
      }
    }
  }
}
