package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdsTest {
  @Test
  void makesThirtyTwoLowercaseHexDigits() {
    for (int i = 0; i < 1_000; i++) {
      assertThat(Ids.random128()).matches("[0-9a-f]{32}");
    }
  }

  @Test
  void makesDistinctIds() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      ids.add(Ids.random128());
    }
    assertThat(ids).hasSize(10_000);
  }

  @Test
  void usesEveryHexDigitInEveryPosition() {
    // A formatting slip (a lost nibble, a sign bug) would leave some digit unused somewhere.
    List<Set<Character>> seen = new ArrayList<>();
    for (int position = 0; position < 32; position++) {
      seen.add(new HashSet<>());
    }
    for (int i = 0; i < 2_000; i++) {
      String id = Ids.random128();
      for (int position = 0; position < 32; position++) {
        seen.get(position).add(id.charAt(position));
      }
    }
    for (Set<Character> digits : seen) {
      assertThat(digits).hasSize(16);
    }
  }
}
