package dev.ferry.common;

import dev.ferry.protocol.Header;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * gRPC without protos: methods whose messages are raw bytes, and metadata as Ferry headers (binary
 * {@code -bin} values one character per octet). Both sidecars carry calls this way.
 */
public final class RawGrpc {
  /**
   * Metadata that describes one HTTP/2 hop or is carried elsewhere (the deadline), never copied.
   */
  private static final Set<String> HOP_KEYS =
      Set.of(
          "content-type",
          "te",
          "grpc-timeout",
          "grpc-encoding",
          "grpc-accept-encoding",
          "user-agent",
          "host",
          "connection",
          "transfer-encoding",
          "keep-alive",
          "upgrade");

  /** Carried as the status itself, not as trailers. */
  private static final Set<String> STATUS_KEYS = Set.of("grpc-status", "grpc-message");

  /** Marshals messages as the bytes they already are. */
  public static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private RawGrpc() {}

  /** A descriptor for any method, by full name ({@code pkg.Service/Method}), of unknown type. */
  public static MethodDescriptor<byte[], byte[]> method(String fullMethodName) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNKNOWN)
        .setFullMethodName(fullMethodName)
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }

  /** The end-to-end entries of {@code metadata} as headers, in order. */
  public static List<Header> headers(Metadata metadata) {
    List<Header> headers = new ArrayList<>();
    for (String key : metadata.keys()) {
      String name = key.toLowerCase(Locale.ROOT);
      if (HOP_KEYS.contains(name) || name.startsWith(":")) {
        continue;
      }
      if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        for (byte[] value :
            metadata.getAll(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER))) {
          headers.add(new Header(name, new String(value, StandardCharsets.ISO_8859_1)));
        }
      } else {
        for (String value :
            metadata.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER))) {
          headers.add(new Header(name, value));
        }
      }
    }
    return headers;
  }

  /** Metadata holding {@code headers}; entries gRPC would refuse are left out. */
  public static Metadata metadata(List<Header> headers) {
    Metadata metadata = new Metadata();
    for (Header header : headers) {
      String name = header.name().toLowerCase(Locale.ROOT);
      if (HOP_KEYS.contains(name) || name.startsWith(":") || STATUS_KEYS.contains(name)) {
        continue;
      }
      try {
        if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
          metadata.put(
              Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER),
              header.value().getBytes(StandardCharsets.ISO_8859_1));
        } else {
          metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), header.value());
        }
      } catch (IllegalArgumentException e) {
        // Not a valid gRPC key or value: it could not have come from a gRPC peer.
      }
    }
    return metadata;
  }
}
