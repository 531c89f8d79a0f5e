package dev.ferry.common;

import java.io.IOException;

/** A sidecar process's lifecycle: started once, closed once (the orderly stop SIGTERM runs). */
public interface Sidecar extends AutoCloseable {
  /** Starts everything; blocks while the broker is unreachable. */
  void start() throws IOException, InterruptedException;

  @Override
  void close();
}
