package dev.ferry.loadtest.soak;

import java.util.regex.Pattern;

/**
 * What the caller got for one {@link Call}: an HTTP response, or {@code failure} when none came.
 *
 * @param atNanos when the response (or the failure) arrived ({@link System#nanoTime()})
 * @param status the HTTP status; -1 without a response
 * @param ferryError the {@code ferry-error} header, or null
 * @param echoUri the echo's {@code x-echo-uri} header (the target the service saw), or null
 * @param body the response body
 * @param failure why there was no response (e.g. the HTTP client's timeout), or null
 */
record Answer(
    long atNanos, int status, String ferryError, String echoUri, String body, Throwable failure) {
  private static final Pattern PROCESS_PREFIX = Pattern.compile("^/p\\d+");

  static Answer failed(long atNanos, Throwable failure) {
    return new Answer(atNanos, -1, null, null, null, failure);
  }

  boolean answered() {
    return failure == null;
  }

  boolean success() {
    return answered() && status / 100 == 2;
  }

  /** A sidecar error as the guarantees describe it: a 5xx with {@code ferry-error}. */
  boolean markedSidecarError() {
    return answered() && status / 100 == 5 && ferryError != null;
  }

  /** A 2xx that is the service's answer to {@code call}: its target, its body, no ferry-error. */
  boolean isOwnAnswerTo(Call call) {
    return success()
        && ferryError == null
        && echoUri != null
        && PROCESS_PREFIX.matcher(echoUri).replaceFirst("").equals(call.target())
        && call.token().equals(body);
  }

  /** {@code 200}, {@code 504 timeout}, or {@code no answer: HttpTimeoutException}. */
  String kind() {
    if (failure != null) {
      return "no answer: " + failure.getClass().getSimpleName();
    }
    return ferryError == null ? Integer.toString(status) : status + " " + ferryError;
  }
}
