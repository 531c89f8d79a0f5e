package dev.ferry.protocol;

/**
 * A message that does not follow the protocol: a property or header that is missing, of the wrong
 * type or out of range, or a protocol version this receiver does not know.
 *
 * <p>Thrown on the hot path for hostile input, so it carries no stack trace.
 */
public final class MalformedMessageException extends Exception {
  private final FerryError error;
  private final String field;

  public MalformedMessageException(FerryError error, String field, String problem) {
    super(field + ": " + problem, null, false, false);
    this.error = error;
    this.field = field;
  }

  static MalformedMessageException of(String field, String problem) {
    return new MalformedMessageException(FerryError.PROTOCOL_ERROR, field, problem);
  }

  /** {@link FerryError#PROTOCOL_ERROR} or {@link FerryError#UNSUPPORTED_VERSION}. */
  public FerryError error() {
    return error;
  }

  /** The AMQP property or header that is wrong, e.g. {@code ferry-deadline} or {@code reply_to}. */
  public String field() {
    return field;
  }
}
