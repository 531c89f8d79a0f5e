package dev.ferry.loadtest.soak;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One request of the soak and how it ended.
 *
 * @param token unique to this request: its path is {@code /soak/<token>} and its body the token
 * @param target the request target sent, e.g. {@code /soak/17-9f2c01ab?delay=120}
 * @param sentNanos when it was handed to the HTTP client ({@link System#nanoTime()})
 * @param deadline its {@code ferry-timeout}
 * @param answer completes once, with the answer or the failure to get one
 */
record Call(
    String token,
    String target,
    long sentNanos,
    Duration deadline,
    CompletableFuture<Answer> answer) {

  /** When the caller's deadline passed, at the earliest ({@link System#nanoTime()}). */
  long deadlineNanos() {
    return sentNanos + deadline.toNanos();
  }
}
