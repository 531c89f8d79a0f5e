package dev.ferry.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A client may send what it was granted, plus the slack, and not one message more. */
class ClientCreditTest {
  @Test
  void takesMessagesUpToTheGrantedCreditAndTheSlack() {
    ClientCredit credit = new ClientCredit(2);
    credit.grant(3);

    for (int i = 0; i < 5; i++) {
      assertThat(credit.receive()).as("message %d", i + 1).isTrue();
    }
    assertThat(credit.receive()).isFalse();
    assertThat(credit.received()).isEqualTo(6);
    assertThat(credit.granted()).isEqualTo(3);
  }

  @Test
  void countsLaterGrantsOnTopOfEarlierOnes() {
    ClientCredit credit = new ClientCredit(0);
    credit.grant(ClientToUpstream.WINDOW);
    for (int i = 0; i < ClientToUpstream.WINDOW; i++) {
      assertThat(credit.receive()).isTrue();
    }
    credit.grant(ClientToUpstream.WINDOW / 2);
    for (int i = 0; i < ClientToUpstream.WINDOW / 2; i++) {
      assertThat(credit.receive()).isTrue();
    }

    assertThat(credit.receive()).isFalse();
  }

  @Test
  void refusesAnyMessageWhenNothingWasGrantedAndThereIsNoSlack() {
    assertThat(new ClientCredit(0).receive()).isFalse();
    assertThatThrownBy(() -> new ClientCredit(-1)).hasMessage("slack: -1 (expected: >= 0)");
  }
}
