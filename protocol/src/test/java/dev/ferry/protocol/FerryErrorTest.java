package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Pins the error table that PROTOCOL.md ("Errors") publishes. */
class FerryErrorTest {
  @ParameterizedTest
  @CsvSource({
    "timeout, 504, 4",
    "no-route, 503, 14",
    "upstream-unavailable, 502, 14",
    "upstream-invalid, 502, 13",
    "broker-unavailable, 503, 14",
    "overloaded, 503, 8",
    "shutting-down, 503, 14",
    "body-too-large, 413, 8",
    "headers-too-large, 431, 8",
    "uri-too-long, 414, 3",
    "bad-request, 400, 3",
    "protocol-error, 502, 13",
    "unsupported-version, 502, 13",
  })
  void mapsEachCodeToItsHttpStatusAndGrpcCode(String code, int httpStatus, int grpcCode) {
    FerryError error = FerryError.fromCode(code);
    assertThat(error).isNotNull();
    assertThat(error.code()).isEqualTo(code);
    assertThat(error.httpStatus()).isEqualTo(httpStatus);
    assertThat(error.grpcCode()).isEqualTo(grpcCode);
  }

  @Test
  void hasExactlyThePublishedCodes() {
    assertThat(Arrays.stream(FerryError.values()).map(FerryError::code))
        .doesNotHaveDuplicates()
        .hasSize(13);
  }

  @ParameterizedTest
  @EnumSource(FerryError.class)
  void findsEachErrorByItsCode(FerryError error) {
    assertThat(FerryError.fromCode(error.code())).isSameAs(error);
  }

  @Test
  void findsNoErrorForAnUnknownCode() {
    assertThat(FerryError.fromCode("TIMEOUT")).isNull();
    assertThat(FerryError.fromCode("")).isNull();
    assertThat(FerryError.fromCode(null)).isNull();
  }

  @Test
  void describesAnErrorInOneUtf8Line() {
    assertThat(
            new String(
                FerryError.BAD_REQUEST.describe("ferry-timeout: 'soon' is not a duration"),
                StandardCharsets.UTF_8))
        .isEqualTo("ferry: bad-request: ferry-timeout: 'soon' is not a duration\n");
    assertThat(FerryError.UPSTREAM_INVALID.describe("caf\u00e9"))
        .isEqualTo("ferry: upstream-invalid: caf\u00e9\n".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void describesAnErrorWithoutDetailByItsCodeAlone() {
    assertThat(FerryError.TIMEOUT.describe(null))
        .isEqualTo("ferry: timeout\n".getBytes(StandardCharsets.UTF_8));
    assertThat(FerryError.TIMEOUT.describe(""))
        .isEqualTo("ferry: timeout\n".getBytes(StandardCharsets.UTF_8));
  }
}
