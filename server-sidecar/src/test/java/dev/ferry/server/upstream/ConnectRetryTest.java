package dev.ferry.server.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When {@link HttpUpstream} tries connecting again, and how long one attempt may take. */
class ConnectRetryTest {
  private static final long AMPLE = 60_000;

  @Test
  void waits50MillisecondsDoublingUpToOneSecond() {
    assertThat(ConnectRetry.delayMillis(1, AMPLE)).isEqualTo(50);
    assertThat(ConnectRetry.delayMillis(2, AMPLE)).isEqualTo(100);
    assertThat(ConnectRetry.delayMillis(3, AMPLE)).isEqualTo(200);
    assertThat(ConnectRetry.delayMillis(4, AMPLE)).isEqualTo(400);
    assertThat(ConnectRetry.delayMillis(5, AMPLE)).isEqualTo(800);
    assertThat(ConnectRetry.delayMillis(6, AMPLE)).isEqualTo(1_000);
    assertThat(ConnectRetry.delayMillis(1_000, AMPLE)).isEqualTo(1_000);
    assertThat(ConnectRetry.delayMillis(Integer.MAX_VALUE, AMPLE)).isEqualTo(1_000);
  }

  @Test
  void givesUpWhenTheDelayWouldLeaveTooLittleForTheReply() {
    assertThat(ConnectRetry.REPLY_RESERVE_MILLIS).isEqualTo(250);
    assertThat(ConnectRetry.delayMillis(1, 301)).isEqualTo(50);
    assertThat(ConnectRetry.delayMillis(1, 300)).isEqualTo(-1);
    assertThat(ConnectRetry.delayMillis(6, 1_251)).isEqualTo(1_000);
    assertThat(ConnectRetry.delayMillis(6, 1_250)).isEqualTo(-1);
    assertThat(ConnectRetry.delayMillis(1, 0)).isEqualTo(-1);
    assertThat(ConnectRetry.delayMillis(1, -5)).isEqualTo(-1);
  }

  @Test
  void boundsTheConnectTimeoutByTheBudgetAndFiveSeconds() {
    assertThat(ConnectRetry.connectTimeoutMillis(AMPLE)).isEqualTo(5_000);
    assertThat(ConnectRetry.connectTimeoutMillis(5_000)).isEqualTo(5_000);
    assertThat(ConnectRetry.connectTimeoutMillis(300)).isEqualTo(300);
    assertThat(ConnectRetry.connectTimeoutMillis(0)).isEqualTo(1);
    assertThat(ConnectRetry.connectTimeoutMillis(Long.MAX_VALUE)).isEqualTo(5_000);
  }
}
