package dev.ferry.server.resilience;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.Header;
import dev.ferry.server.upstream.HttpUpstream;
import dev.ferry.server.upstream.UpstreamException;
import dev.ferry.server.upstream.UpstreamRequest;
import dev.ferry.server.upstream.UpstreamResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the HTTP service through its {@link UpstreamBreaker}, retrying what may be retried.
 *
 * <ul>
 *   <li>While the breaker is open, a request is not started: it fails with {@link HandedBack} (and
 *       goes back to the queue). One whose connection attempts are cut short because the breaker
 *       opened meanwhile ends at once with {@code upstream-unavailable}, instead of trying to
 *       connect until its deadline.
 *   <li>For the breaker, every failed connection attempt, reset, timeout and 503 is a failure;
 *       every other answer (a 500 too) is a success: the service is there and answering.
 *   <li>A request is retried, at most {@code --max-retries} times and within the retry budget, only
 *       when it is idempotent ({@link #isIdempotent}) and the service answered 502, 503 or 504 or
 *       reset the connection after the request went out; after the delay the service asks for in
 *       {@code Retry-After} (else 50 ms, doubling), and only if that delay leaves time for the
 *       reply. Otherwise the service's answer goes back as it is. Connection attempts that fail are
 *       tried again within one attempt, whatever the method ({@link HttpUpstream}).
 * </ul>
 *
 * Thread-safe; never blocks. The {@link HttpUpstream} stays its creator's to close.
 */
public final class ResilientHttp {
  private static final Logger logger = LoggerFactory.getLogger(ResilientHttp.class);

  /** Methods that RFC 9110 defines as idempotent. */
  private static final Set<String> IDEMPOTENT_METHODS =
      Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");

  private static final String IDEMPOTENCY_KEY = "idempotency-key";

  private final HttpUpstream upstream;
  private final UpstreamGuard guard;

  public ResilientHttp(HttpUpstream upstream, UpstreamGuard guard) {
    this.upstream = upstream;
    this.guard = guard;
  }

  /**
   * Whether a request may be sent twice: an idempotent method, or a caller's own {@code
   * Idempotency-Key} among {@code callerHeaders} (not the one the server sidecar adds).
   */
  public static boolean isIdempotent(String method, List<Header> callerHeaders) {
    if (IDEMPOTENT_METHODS.contains(method)) {
      return true;
    }
    for (Header header : callerHeaders) {
      if (header.name().equalsIgnoreCase(IDEMPOTENCY_KEY)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Sends {@code request}; the future ends with the service's answer, an {@link UpstreamException},
   * or {@link HandedBack} when the request was not started.
   */
  public CompletableFuture<UpstreamResponse> send(UpstreamRequest request, boolean idempotent) {
    guard.retries().deposit();
    CompletableFuture<UpstreamResponse> result = new CompletableFuture<>();
    UpstreamBreaker.Permit permit = guard.breaker().tryAcquire();
    if (permit == null) {
      result.completeExceptionally(HandedBack.CIRCUIT_OPEN);
      return result;
    }
    new Call(request, idempotent, result).attempt(0, permit);
    return result;
  }

  /** One request and its attempts. */
  private final class Call {
    private final UpstreamRequest request;
    private final boolean idempotent;
    private final CompletableFuture<UpstreamResponse> result;
    private final long deadlineNanos;
    private volatile UpstreamResponse lastAnswer;

    Call(UpstreamRequest request, boolean idempotent, CompletableFuture<UpstreamResponse> result) {
      this.request = request;
      this.idempotent = idempotent;
      this.result = result;
      this.deadlineNanos =
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, request.timeoutMillis()));
    }

    long remainingMillis() {
      return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    /** Attempt number {@code retry} (0: the first), holding the breaker's {@code permit}. */
    void attempt(int retry, UpstreamBreaker.Permit permit) {
      UpstreamRequest sending = retry == 0 ? request : request.withTimeout(remainingMillis());
      Attempt attempt = new Attempt(retry, permit, System.nanoTime());
      try {
        upstream
            .send(sending, attempt::connectFailed)
            .whenComplete((response, failure) -> attempt.completed(response, failure));
      } catch (RuntimeException e) {
        permit.release();
        result.completeExceptionally(e);
      }
    }

    private final class Attempt {
      private final int retry;
      private final UpstreamBreaker.Permit permit;
      private final long startedNanos;
      private volatile boolean reported;

      Attempt(int retry, UpstreamBreaker.Permit permit, long startedNanos) {
        this.retry = retry;
        this.permit = permit;
        this.startedNanos = startedNanos;
      }

      /** A connection attempt failed: a failure for the breaker; try again unless it opened. */
      boolean connectFailed(Throwable cause) {
        reported = true;
        permit.failed(0);
        return !guard.breaker().isOpen();
      }

      void completed(UpstreamResponse response, Throwable failure) {
        long nanos = System.nanoTime() - startedNanos;
        UpstreamException problem = unwrap(failure);
        if (failure != null && problem == null) {
          permit.release(); // Not an outcome of the service's: a bug, passed on.
          finish(null, failure);
          return;
        }
        if (problem != null && !problem.sent()) {
          notSent(problem);
          return;
        }
        judge(response, problem, nanos);
        long delay = retryDelay(response, problem, retry + 1);
        UpstreamBreaker.Permit next =
            delay >= 0 ? guard.mayRetry(retry + 1, delay, remainingMillis()) : null;
        if (next != null) {
          if (response != null) {
            lastAnswer = response;
          }
          logger.debug(
              "retrying upstream call method={} target={} retry={} delay_ms={} after={}",
              request.method(),
              request.target(),
              retry + 1,
              delay,
              response != null ? response.status() : problem.getMessage());
          if (guard.retries().schedule(() -> attempt(retry + 1, next), delay)) {
            return;
          }
          next.release();
        }
        finish(response, problem);
      }

      /** Nothing of the request reached the service: its connection attempts are reported. */
      private void notSent(UpstreamException problem) {
        if (!reported) {
          permit.release();
        }
        finish(null, problem);
      }

      private void judge(UpstreamResponse response, UpstreamException problem, long nanos) {
        boolean failed =
            response != null
                ? response.status() == 503
                : problem.error() == FerryError.UPSTREAM_UNAVAILABLE
                    || problem.error() == FerryError.TIMEOUT;
        if (failed) {
          permit.failed(nanos);
        } else {
          permit.succeeded(nanos);
        }
      }
    }

    /**
     * How long to wait before retry number {@code retry} after this outcome, or -1 when it must not
     * be retried.
     */
    private long retryDelay(UpstreamResponse response, UpstreamException problem, int retry) {
      if (!idempotent) {
        return -1;
      }
      if (response != null) {
        int status = response.status();
        if (status != 502 && status != 503 && status != 504) {
          return -1;
        }
        long asked = RetryAfter.millis(response.headers(), System.currentTimeMillis());
        return asked >= 0 ? asked : Retries.backoffMillis(retry);
      }
      return problem.error() == FerryError.UPSTREAM_UNAVAILABLE ? Retries.backoffMillis(retry) : -1;
    }

    /** Ends the call: with this attempt's answer, else an earlier one of the service's. */
    private void finish(UpstreamResponse response, Throwable failure) {
      if (response != null) {
        result.complete(response);
      } else if (lastAnswer != null) {
        result.complete(lastAnswer);
      } else {
        result.completeExceptionally(failure);
      }
    }
  }

  private static UpstreamException unwrap(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    return cause instanceof UpstreamException upstreamFailure ? upstreamFailure : null;
  }
}
