package dev.ferry.loadtest.echo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.QueryStringDecoder;
import org.junit.jupiter.api.Test;

class EchoOptionsTest {
  @Test
  void defaultsToPlainEchoAndIgnoresOtherParameters() {
    EchoOptions options = parse("/path?q=1&sort=desc");

    assertThat(options)
        .isEqualTo(new EchoOptions(200, 0, EchoOptions.ECHO, java.util.List.of(), false, false));
  }

  @Test
  void readsEveryOption() {
    EchoOptions options =
        parse(
            "/?status=418&delay=25&size=8KiB&header=x-a:1&header=X-B:%20two&header=x-a:3&close=0&chunked=1");

    assertThat(options.status()).isEqualTo(418);
    assertThat(options.delayMillis()).isEqualTo(25);
    assertThat(options.size()).isEqualTo(8192);
    assertThat(options.headers())
        .containsExactly(
            new EchoOptions.ExtraHeader("x-a", "1"),
            new EchoOptions.ExtraHeader("X-B", "two"),
            new EchoOptions.ExtraHeader("x-a", "3"));
    assertThat(options.close()).isFalse();
    assertThat(options.chunked()).isTrue();
  }

  @Test
  void takesBareFlagAsTrue() {
    assertThat(parse("/?close").close()).isTrue();
  }

  @Test
  void rejectsValuesItCannotHonourNamingTheParameter() {
    assertRejected("/?status=100", "status: '100' (expected: 200..599)");
    assertRejected("/?status=abc", "status: 'abc'");
    assertRejected("/?delay=-1", "delay: '-1'");
    assertRejected("/?delay=3600001", "delay: '3600001'");
    assertRejected("/?size=2GiB", "size: 2GiB (expected: at most 1GiB)");
    assertRejected("/?size=lots", "size: 'lots'");
    assertRejected("/?header=no-colon", "header: 'no-colon'");
    assertRejected("/?header=bad%20name:1", "header: 'bad name:1'");
    assertRejected("/?chunked=yes", "chunked: 'yes' (expected: 1 or 0)");
  }

  private static void assertRejected(String uri, String message) {
    assertThatThrownBy(() -> parse(uri))
        .isInstanceOf(EchoOptions.InvalidOption.class)
        .hasMessageContaining(message);
  }

  private static EchoOptions parse(String uri) {
    return EchoOptions.parse(new QueryStringDecoder(uri).parameters());
  }
}
