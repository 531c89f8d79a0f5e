package dev.ferry.loadtest.echo;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

class PatternBodyTest {
  @Test
  void repeatsAlphabetAcrossBlockBoundaries() {
    int size = 3 * 65_520 + 7;
    ByteBuf body = PatternBody.of(size);
    try {
      assertThat(body.readableBytes()).isEqualTo(size);
      for (int i = 0; i < size; i++) {
        assertThat(body.getByte(body.readerIndex() + i))
            .as("byte %d", i)
            .isEqualTo(PatternBody.at(i));
      }
    } finally {
      body.release();
    }
  }

  @Test
  void keepsSharedPatternAliveWhileCallersReleaseTheirBodies() {
    for (int i = 0; i < 1_000; i++) {
      PatternBody.of(i % 3 == 0 ? 70_000 : 10).release();
    }

    ByteBuf body = PatternBody.of(10);
    try {
      assertThat(body.getByte(body.readerIndex())).isEqualTo((byte) 'a');
    } finally {
      body.release();
    }
  }

  @Test
  void givesEmptyBodyForSizeZero() {
    ByteBuf body = PatternBody.of(0);
    try {
      assertThat(body.readableBytes()).isZero();
    } finally {
      body.release();
    }
  }
}
