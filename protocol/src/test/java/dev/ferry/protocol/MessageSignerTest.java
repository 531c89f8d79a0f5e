package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageSignerTest {
  private static final byte[] KEY =
      "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private static final byte[] OTHER =
      "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8);
  private static final String QUEUE = "ferry.req.orders";

  private static AmqpMessage request() {
    return EnvelopeCodec.encodeRequest(
        new RequestEnvelope(
            CallKind.HTTP,
            "POST",
            "/orders?x=1",
            List.of(new Header("content-type", "application/json")),
            "{\"id\":42}".getBytes(StandardCharsets.UTF_8),
            "m-1",
            "c-1",
            "ferry.reply.abc",
            1_700_000_000_000L,
            1_700_000_030_000L));
  }

  @Test
  void verifiesWhatItSigned() throws Exception {
    MessageSigner signer = MessageSigner.of(List.of(KEY));
    AmqpMessage signed = signer.sign(request(), "", QUEUE);

    assertThat(signed.properties().getHeaders().get(MessageSigner.H_SIGNATURE).toString())
        .startsWith("v1=");
    signer.verify(signed.properties(), signed.body(), "", QUEUE);
  }

  @Test
  void theSignatureIsPinned() {
    // The vector in PROTOCOL.md §16, computed there independently (in Python, from the spec).
    AmqpMessage signed = MessageSigner.of(List.of(KEY)).sign(request(), "", QUEUE);

    assertThat(signed.properties().getHeaders().get(MessageSigner.H_SIGNATURE)).hasToString(PINNED);
  }

  private static final String PINNED = "v1=wQ82iSgoU19wD3e21PFhqGhXA4en8EVspJTvMdSXCZE";

  @Test
  void rejectsAnAlteredBody() {
    MessageSigner signer = MessageSigner.of(List.of(KEY));
    AmqpMessage signed = signer.sign(request(), "", QUEUE);
    byte[] altered = signed.body().clone();
    altered[0] ^= 1;

    assertThatThrownBy(() -> signer.verify(signed.properties(), altered, "", QUEUE))
        .isInstanceOfSatisfying(
            MalformedMessageException.class,
            e -> assertThat(e.getMessage()).contains("ferry-signature").contains("does not match"));
  }

  @Test
  void rejectsAnAlteredHeaderOrProperty() {
    MessageSigner signer = MessageSigner.of(List.of(KEY));
    AmqpMessage signed = signer.sign(request(), "", QUEUE);
    Map<String, Object> headers = new HashMap<>(signed.properties().getHeaders());
    headers.put(EnvelopeCodec.H_DEADLINE, 1_800_000_000_000L);
    AMQP.BasicProperties moreTime = signed.properties().builder().headers(headers).build();
    AMQP.BasicProperties otherReplyTo =
        signed.properties().builder().replyTo("ferry.reply.attacker").build();

    assertThatThrownBy(() -> signer.verify(moreTime, signed.body(), "", QUEUE))
        .isInstanceOf(MalformedMessageException.class);
    assertThatThrownBy(() -> signer.verify(otherReplyTo, signed.body(), "", QUEUE))
        .isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void rejectsAMessageReplayedToAnotherQueue() {
    MessageSigner signer = MessageSigner.of(List.of(KEY));
    AmqpMessage signed = signer.sign(request(), "", QUEUE);

    assertThatThrownBy(
            () -> signer.verify(signed.properties(), signed.body(), "", "ferry.req.payments"))
        .isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void ignoresTheBrokersOwnHeaders() throws Exception {
    MessageSigner signer = MessageSigner.of(List.of(KEY));
    AmqpMessage signed = signer.sign(request(), "", QUEUE);
    Map<String, Object> headers = new HashMap<>(signed.properties().getHeaders());
    headers.put("x-delivery-count", 3L);

    signer.verify(signed.properties().builder().headers(headers).build(), signed.body(), "", QUEUE);
  }

  @Test
  void ignoresHeadersAndATimestampAnInterceptorAdds() throws Exception {
    // RabbitMQ 3.12+'s set_header_timestamp interceptor adds timestamp_in_ms and may overwrite
    // the timestamp property; plugins may stamp headers of their own.
    MessageSigner signer = MessageSigner.of(List.of(KEY));
    AmqpMessage signed = signer.sign(request(), "", QUEUE);
    Map<String, Object> headers = new HashMap<>(signed.properties().getHeaders());
    headers.put("timestamp_in_ms", 1_700_000_000_123L);
    headers.put("x-opt-plugin", 1.5d);

    signer.verify(
        signed
            .properties()
            .builder()
            .headers(headers)
            .timestamp(new java.util.Date(1_800_000_000_000L))
            .build(),
        signed.body(),
        "",
        QUEUE);
  }

  @Test
  void signsAndChecksEveryValueTypeAmqpCarries() throws Exception {
    // A hostile message's copy (e.g. the dead-letter one) is signed too: signing never fails.
    MessageSigner signer = MessageSigner.of(List.of(KEY));
    Map<String, Object> headers = new HashMap<>(request().properties().getHeaders());
    headers.put("ferry-odd-double", 2.5d);
    headers.put("ferry-odd-float", 2.5f);
    headers.put("ferry-odd-decimal", new java.math.BigDecimal("1.25"));
    headers.put("ferry-odd-table", Map.of("b", 1, "a", List.of(true, new byte[] {1})));
    AmqpMessage odd =
        new AmqpMessage(request().properties().builder().headers(headers).build(), new byte[0]);

    AmqpMessage signed = signer.sign(odd, "", QUEUE);
    signer.verify(signed.properties(), signed.body(), "", QUEUE);
    headers.put("ferry-odd-double", 2.75d);
    assertThatThrownBy(
            () ->
                signer.verify(
                    signed.properties().builder().headers(withSignature(headers, signed)).build(),
                    signed.body(),
                    "",
                    QUEUE))
        .hasMessageContaining("does not match");
  }

  private static Map<String, Object> withSignature(Map<String, Object> headers, AmqpMessage from) {
    Map<String, Object> copy = new HashMap<>(headers);
    copy.put(
        MessageSigner.H_SIGNATURE, from.properties().getHeaders().get(MessageSigner.H_SIGNATURE));
    return copy;
  }

  @Test
  void rejectsUnsignedAndForeignSignatures() {
    MessageSigner signer = MessageSigner.of(List.of(KEY));
    AmqpMessage unsigned = request();
    AmqpMessage foreign = MessageSigner.of(List.of(OTHER)).sign(request(), "", QUEUE);
    Map<String, Object> headers = new HashMap<>(unsigned.properties().getHeaders());
    headers.put(MessageSigner.H_SIGNATURE, "v2=abc");

    assertThatThrownBy(() -> signer.verify(unsigned.properties(), unsigned.body(), "", QUEUE))
        .hasMessageContaining("missing");
    assertThatThrownBy(() -> signer.verify(foreign.properties(), foreign.body(), "", QUEUE))
        .hasMessageContaining("does not match");
    assertThatThrownBy(
            () ->
                signer.verify(
                    unsigned.properties().builder().headers(headers).build(),
                    unsigned.body(),
                    "",
                    QUEUE))
        .hasMessageContaining("not a v1 signature");
  }

  @Test
  void anOldKeyStillVerifiesDuringRotation() throws Exception {
    AmqpMessage signedWithOld = MessageSigner.of(List.of(OTHER)).sign(request(), "", QUEUE);
    MessageSigner rotated =
        MessageSigner.fromKeyFile(new String(KEY) + "\n" + new String(OTHER) + "\n");

    rotated.verify(signedWithOld.properties(), signedWithOld.body(), "", QUEUE);
    AmqpMessage signedWithNew = rotated.sign(request(), "", QUEUE);
    MessageSigner.of(List.of(KEY))
        .verify(signedWithNew.properties(), signedWithNew.body(), "", QUEUE);
  }

  @Test
  void refusesShortOrMissingKeys() {
    assertThatThrownBy(() -> MessageSigner.fromKeyFile("short\n"))
        .hasMessageContaining("shorter than 16 bytes");
    assertThatThrownBy(() -> MessageSigner.fromKeyFile("\n  \n"))
        .hasMessageContaining("no signing key");
  }

  @Test
  void noneSignsNothingAndAcceptsEverything() throws Exception {
    AmqpMessage unsigned = request();

    assertThat(MessageSigner.NONE.sign(unsigned, "", QUEUE)).isSameAs(unsigned);
    MessageSigner.NONE.verify(unsigned.properties(), unsigned.body(), "", QUEUE);
    assertThat(MessageSigner.NONE.enabled()).isFalse();
  }
}
