package dev.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {
  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "512, 512",
    "512b, 512",
    "512B, 512",
    "64KiB, 65536",
    "8MiB, 8388608",
    "8mib, 8388608",
    "8 MiB, 8388608",
    "' 8MiB ', 8388608",
    "1GiB, 1073741824",
    "1KB, 1000",
    "1MB, 1000000",
    "1GB, 1000000000",
    "2k, 2000",
    "2Ki, 2048",
  })
  void parsesBytesWithAnOptionalUnit(String text, long bytes) {
    assertThat(Sizes.parse(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(
      strings = {
        "",
        "MiB",
        "-1",
        "1.5MiB",
        "1TiB",
        "1 MiBs",
        "8MiB8",
        "1e6",
        "0x10",
        "1000000000000"
      })
  void rejectsOtherFormsNamingTheExpectedForm(String text) {
    assertThatThrownBy(() -> Sizes.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "'"
                + text
                + "' is not a size (expected: a whole number of bytes, or with KiB, MiB,"
                + " GiB, e.g. 8MiB)");
  }
}
