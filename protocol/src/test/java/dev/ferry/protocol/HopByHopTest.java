package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HopByHopTest {
  private static final Header HOST = new Header("Host", "svc");

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Connection",
        "connection",
        "CONNECTION",
        "Keep-Alive",
        "keep-alive",
        "Transfer-Encoding",
        "TRANSFER-ENCODING",
        "TE",
        "te",
        "Trailer",
        "trailer",
        "Upgrade",
        "uPgRaDe"
      })
  void removesEveryFixedHopByHopHeaderWhateverItsCase(String name) {
    assertThat(HopByHop.strip(List.of(HOST, new Header(name, "x")))).containsExactly(HOST);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"Proxy-Authorization", "proxy-connection", "PROXY-AUTHENTICATE", "Proxy-"})
  void removesProxyHeaders(String name) {
    assertThat(HopByHop.strip(List.of(new Header(name, "x"), HOST))).containsExactly(HOST);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Proxyish", "X-Proxy-Id", "Trailers", "Upgrade-Insecure-Requests", "Tea"})
  void keepsHeadersThatOnlyResembleHopByHopNames(String name) {
    Header header = new Header(name, "1");
    assertThat(HopByHop.strip(List.of(header))).containsExactly(header);
  }

  @Test
  void removesHeadersNamedInConnection() {
    List<Header> headers =
        List.of(
            new Header("Connection", "close, X-Session ,x-HINT,,  "),
            new Header("X-Session", "1"),
            HOST,
            new Header("x-hint", "2"),
            new Header("X-Kept", "3"));
    assertThat(HopByHop.strip(headers)).containsExactly(HOST, new Header("X-Kept", "3"));
  }

  @Test
  void removesHeadersNamedInAnyConnectionField() {
    List<Header> headers =
        List.of(
            new Header("connection", "X-A"),
            new Header("X-A", "1"),
            new Header("CONNECTION", "x-b"),
            new Header("X-B", "2"),
            HOST);
    assertThat(HopByHop.strip(headers)).containsExactly(HOST);
  }

  @Test
  void keepsOtherHeadersInOrderWithDuplicates() {
    List<Header> headers =
        List.of(
            new Header("Set-Cookie", "a=1"),
            new Header("Keep-Alive", "timeout=5"),
            HOST,
            new Header("Set-Cookie", "b=2"),
            new Header("Accept", "*/*"),
            new Header("Set-Cookie", "a=1"));
    assertThat(HopByHop.strip(headers))
        .containsExactly(
            new Header("Set-Cookie", "a=1"),
            HOST,
            new Header("Set-Cookie", "b=2"),
            new Header("Accept", "*/*"),
            new Header("Set-Cookie", "a=1"));
  }

  @Test
  void keepsEverythingWhenNothingIsHopByHop() {
    List<Header> headers = List.of(HOST, new Header("Accept", "*/*"));
    assertThat(HopByHop.strip(headers)).isEqualTo(headers);
    assertThat(HopByHop.strip(List.of())).isEmpty();
  }
}
