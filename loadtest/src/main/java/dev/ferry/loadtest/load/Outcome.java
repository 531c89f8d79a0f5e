package dev.ferry.loadtest.load;

/**
 * How one request ended: {@link #OK}, or an error of a kind such as {@code http-500}, {@code
 * ferry-error:timeout}, {@code grpc-UNAVAILABLE} or {@code connect}; the kinds are counted
 * separately.
 *
 * @param errorKind null for success
 */
public record Outcome(String errorKind) {
  public static final Outcome OK = new Outcome(null);

  public static Outcome error(String kind) {
    return new Outcome(kind);
  }

  public boolean ok() {
    return errorKind == null;
  }
}
