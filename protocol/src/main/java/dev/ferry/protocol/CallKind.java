package dev.ferry.protocol;

/** What a request envelope carries: an HTTP/1.1 exchange or a gRPC call. */
public enum CallKind {
  HTTP("http"),
  GRPC("grpc");

  private final String wireName;

  CallKind(String wireName) {
    this.wireName = wireName;
  }

  /** The value of the {@code ferry-kind} header. */
  public String wireName() {
    return wireName;
  }

  static CallKind fromWire(String value) {
    for (CallKind kind : values()) {
      if (kind.wireName.equals(value)) {
        return kind;
      }
    }
    return null;
  }
}
