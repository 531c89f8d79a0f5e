package dev.ferry.server.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.protocol.Header;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetryAfterTest {
  private static final long NOW = Instant.parse("2025-03-01T12:00:00Z").toEpochMilli();

  @ParameterizedTest(name = "''{0}''")
  @CsvSource(
      delimiter = '|',
      value = {
        "0                             | 0",
        "3                             | 3000",
        "' 120 '                       | 120000",
        "Sat, 01 Mar 2025 12:00:30 GMT | 30000",
        "Sat, 1 Mar 2025 12:00:01 GMT  | 1000",
        "Sat, 01 Mar 2025 11:59:00 GMT | 0",
      })
  void readsDelaySecondsAndHttpDates(String value, long millis) {
    assertThat(RetryAfter.parse(value, NOW)).isEqualTo(millis);
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"", " ", "-5", "1.5", "soon", "2025-03-01T12:00:30Z", "30s"})
  void ignoresWhatItCannotRead(String value) {
    assertThat(RetryAfter.parse(value, NOW)).isEqualTo(-1);
  }

  @Test
  void takesAHugeNumberOfSecondsAsForeverWithoutOverflowing() {
    assertThat(RetryAfter.parse("99999999999999999999999", NOW)).isGreaterThan(1L << 40);
  }

  @Test
  void findsTheHeaderWhateverItsCase() {
    List<Header> headers =
        List.of(new Header("content-type", "text/plain"), new Header("Retry-After", "2"));

    assertThat(RetryAfter.millis(headers, NOW)).isEqualTo(2000);
    assertThat(RetryAfter.millis(List.of(new Header("x", "1")), NOW)).isEqualTo(-1);
  }
}
