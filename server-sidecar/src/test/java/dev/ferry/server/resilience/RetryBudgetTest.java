package dev.ferry.server.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RetryBudgetTest {
  @Test
  void startsWithABurstOfRetriesForAServiceWithoutHistory() {
    RetryBudget budget = new RetryBudget(20);

    for (int i = 0; i < RetryBudget.BURST; i++) {
      assertThat(budget.tryWithdraw()).isTrue();
    }
    assertThat(budget.tryWithdraw()).isFalse();
  }

  @Test
  void earnsOneRetryForEveryFiveRequestsAtTwentyPercent() {
    RetryBudget budget = spent(20);

    for (int i = 0; i < 4; i++) {
      budget.deposit();
      assertThat(budget.tryWithdraw()).isFalse();
    }
    budget.deposit();

    assertThat(budget.tryWithdraw()).isTrue();
    assertThat(budget.tryWithdraw()).isFalse();
  }

  @Test
  void keepsNoMoreThanTheBurstHoweverManyRequestsCame() {
    RetryBudget budget = new RetryBudget(100);

    for (int i = 0; i < 1_000; i++) {
      budget.deposit();
    }

    assertThat(budget.available()).isEqualTo(RetryBudget.BURST);
  }

  @Test
  void allowsAtMostItsShareOfRequestsPlusTheBurstOverALongRun() {
    RetryBudget budget = new RetryBudget(20);
    int retries = 0;

    for (int request = 0; request < 1_000; request++) {
      budget.deposit();
      if (budget.tryWithdraw()) {
        retries++;
      }
    }

    assertThat(retries).isBetween(1_000 * 20 / 100, 1_000 * 20 / 100 + RetryBudget.BURST);
  }

  @Test
  void allowsNoRetryAtZeroPercent() {
    RetryBudget budget = new RetryBudget(0);

    budget.deposit();

    assertThat(budget.tryWithdraw()).isFalse();
  }

  @Test
  void refusesAShareOutsideZeroToAHundred() {
    assertThatThrownBy(() -> new RetryBudget(101)).hasMessageContaining("0..100");
    assertThatThrownBy(() -> new RetryBudget(-1)).hasMessageContaining("0..100");
  }

  private static RetryBudget spent(int percent) {
    RetryBudget budget = new RetryBudget(percent);
    while (budget.tryWithdraw()) {
      // Spend the burst.
    }
    return budget;
  }
}
