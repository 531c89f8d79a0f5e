package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins the wire encoding to the files in {@code src/test/resources/golden}, which PROTOCOL.md
 * offers to implementers in other languages. Fails whenever the encoding changes; after an intended
 * change, regenerate with {@code -Dferry.golden.write=true}, review the diff and update
 * PROTOCOL.md.
 */
class GoldenVectorsTest {
  private static final boolean WRITE = Boolean.getBoolean("ferry.golden.write");
  private static final Path SOURCE_DIR = Path.of("src", "test", "resources", "golden");
  private static final Map<String, String> WRITTEN = new ConcurrentHashMap<>();

  /** 2023-11-14T22:13:20.123Z. */
  static final long SENT_AT = 1_700_000_000_123L;

  static final String REPLY_TO = "ferry.reply.web-5c2e";
  static final String GET_MESSAGE_ID = "9f1c2b7e4a5d4e0f8b3a6c1d2e7f8091";
  static final String GET_CORRELATION_ID = "3b8e0c5f1a2d4f6e9c7b0a1d2e3f4a5b";

  /** The worked example of PROTOCOL.md: a GET with a query, a repeated and a non-UTF-8 header. */
  static final RequestEnvelope GET =
      new RequestEnvelope(
          CallKind.HTTP,
          "GET",
          "/v1/orders/42?expand=items&lang=fr",
          List.of(
              new Header("Host", "orders.internal"),
              new Header("User-Agent", "curl/8.5.0"),
              new Header("Accept", "application/json"),
              new Header("Accept-Encoding", "gzip"),
              new Header("X-Tag", "blue"),
              new Header("X-Tag", "green"),
              new Header("X-Customer", "Ren\u00e9")),
          new byte[0],
          GET_MESSAGE_ID,
          GET_CORRELATION_ID,
          REPLY_TO,
          SENT_AT,
          SENT_AT + 30_000);

  /** The service's answer to {@link #GET}: a gzip-encoded (binary) JSON body. */
  static final ResponseEnvelope GET_REPLY =
      new ResponseEnvelope(
          GET_CORRELATION_ID,
          200,
          List.of(
              new Header("Content-Type", "application/json"),
              new Header("Content-Encoding", "gzip"),
              new Header("Vary", "Accept-Encoding"),
              new Header("Set-Cookie", "a=1; Path=/"),
              new Header("Set-Cookie", "b=2; Path=/")),
          HexFormat.of()
              .parseHex(
                  "1f8b0800000000000203ab56ca4c51b23231d2512a2e492c292d56b2522acec82c28484d51aa0500"
                      + "8c82746f1c000000"),
          null,
          12);

  /** A POST with a binary body and a 1.5 s deadline ({@code ferry-timeout: 1500ms}). */
  static final RequestEnvelope POST =
      new RequestEnvelope(
          CallKind.HTTP,
          "POST",
          "/v1/blobs?name=r%C3%A9sum%C3%A9.bin",
          List.of(
              new Header("Host", "blobs.internal"),
              new Header("Content-Type", "application/octet-stream"),
              new Header("Content-Length", "8"),
              new Header("X-Quote", "say \"hi\" \\ bye")),
          HexFormat.of().parseHex("00017f80e9feff0a"),
          "6a0e5d4c3b2a19080f1e2d3c4b5a6978",
          "d1c2b3a4958677685940a1b2c3d4e5f6",
          REPLY_TO,
          SENT_AT,
          SENT_AT + 1_500);

  /** The server sidecar's reply when it could not reach the service. */
  static final ResponseEnvelope UPSTREAM_DOWN =
      ResponseEnvelope.ofError(
          "d1c2b3a4958677685940a1b2c3d4e5f6",
          FerryError.UPSTREAM_UNAVAILABLE,
          "connection refused",
          3);

  static Stream<Named<Case>> vectors() {
    return Stream.of(
            Case.request(
                "http-request.txt", "HTTP GET request (the PROTOCOL.md worked example)", GET),
            Case.response(
                "http-response.txt",
                "the service's answer to http-request.txt",
                GET_REPLY,
                SENT_AT + 57),
            Case.request("http-post-request.txt", "HTTP POST request with a binary body", POST),
            Case.response(
                "error-response.txt",
                "server sidecar error reply (upstream-unavailable) to http-post-request.txt",
                UPSTREAM_DOWN,
                SENT_AT + 40))
        .map(c -> Named.of(c.file(), c));
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void encodesEnvelopeExactlyAsItsVector(Case vector) throws IOException {
    String expected = vectorText(vector);
    assertThat(VectorFile.render(vector.title(), vector.encoded()))
        .as(
            "encoding of %s changed; if intended, regenerate with -Dferry.golden.write=true"
                + " and update PROTOCOL.md",
            vector.file())
        .isEqualTo(expected);
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void encodesContentHeaderByteForByte(Case vector) throws IOException {
    AmqpMessage encoded = vector.encoded();
    byte[] pinned = VectorFile.parse(vectorText(vector)).contentHeader();
    assertThat(VectorFile.contentHeader(encoded.properties(), encoded.body().length))
        .isEqualTo(pinned);
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void decodesVectorToItsEnvelope(Case vector) throws Exception {
    VectorFile.Vector parsed = VectorFile.parse(vectorText(vector));
    Object decoded = vector.decoder().decode(parsed.properties(), parsed.body());
    assertThat(decoded).usingRecursiveComparison().isEqualTo(vector.envelope());
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void decodesContentHeaderBytesToItsEnvelope(Case vector) throws Exception {
    VectorFile.Vector parsed = VectorFile.parse(vectorText(vector));
    AMQP.BasicProperties received = VectorFile.fromContentHeader(parsed.contentHeader());
    Object decoded = vector.decoder().decode(received, parsed.body());
    assertThat(decoded).usingRecursiveComparison().isEqualTo(vector.envelope());
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void vectorTextAndContentHeaderDescribeTheSameProperties(Case vector) throws IOException {
    VectorFile.Vector parsed = VectorFile.parse(vectorText(vector));
    assertThat(VectorFile.contentHeader(parsed.properties(), parsed.body().length))
        .isEqualTo(parsed.contentHeader());
  }

  /** The vector's file, rewritten first from the encoder when {@code ferry.golden.write} is set. */
  private static String vectorText(Case vector) throws IOException {
    if (WRITE) {
      return WRITTEN.computeIfAbsent(vector.file(), file -> write(vector));
    }
    try (InputStream in = GoldenVectorsTest.class.getResourceAsStream("/golden/" + vector.file())) {
      assertThat(in).as("golden/%s on the test class path", vector.file()).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String write(Case vector) {
    try {
      String text = VectorFile.render(vector.title(), vector.encoded());
      Files.createDirectories(SOURCE_DIR);
      Files.writeString(SOURCE_DIR.resolve(vector.file()), text, StandardCharsets.UTF_8);
      return text;
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + vector.file(), e);
    }
  }

  /** Decodes a message into an envelope. */
  interface Decoder {
    Object decode(AMQP.BasicProperties properties, byte[] body) throws MalformedMessageException;
  }

  /** One golden vector: its file, the envelope it pins, and how that envelope is encoded. */
  record Case(String file, String title, Object envelope, AmqpMessage encoded, Decoder decoder) {
    static Case request(String file, String title, RequestEnvelope request) {
      return new Case(
          file, title, request, EnvelopeCodec.encodeRequest(request), EnvelopeCodec::decodeRequest);
    }

    static Case response(String file, String title, ResponseEnvelope response, long nowMillis) {
      return new Case(
          file,
          title,
          response,
          EnvelopeCodec.encodeResponse(response, nowMillis),
          EnvelopeCodec::decodeResponse);
    }
  }
}
