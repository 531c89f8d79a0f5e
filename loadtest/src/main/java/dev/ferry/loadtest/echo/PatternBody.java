package dev.ferry.loadtest.echo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Bodies of any length made of {@code abc...xyz} repeated, for {@code size=N}. They share one
 * read-only 64KiB direct buffer by slices, so a large body costs neither memory nor copying.
 */
final class PatternBody {
  /** 26 × 2520 bytes: a whole number of alphabets, so slices can be laid end to end. */
  private static final int BLOCK = 26 * 2520;

  // Never released: one reference is held for the life of the class, slices take their own.
  private static final ByteBuf PATTERN = pattern();

  private PatternBody() {}

  /** The byte at {@code index} of every pattern body. */
  static byte at(long index) {
    return (byte) ('a' + index % 26);
  }

  /** A new body of {@code size} pattern bytes; the caller owns (and releases) it. */
  static ByteBuf of(long size) {
    int blocks = Math.toIntExact(size / BLOCK);
    int rest = (int) (size % BLOCK);
    if (blocks == 0) {
      return PATTERN.retainedSlice(0, rest);
    }
    CompositeByteBuf body = Unpooled.compositeBuffer(blocks + 1);
    for (int i = 0; i < blocks; i++) {
      body.addComponent(true, PATTERN.retainedSlice(0, BLOCK));
    }
    if (rest > 0) {
      body.addComponent(true, PATTERN.retainedSlice(0, rest));
    }
    return body;
  }

  private static ByteBuf pattern() {
    ByteBuf buffer = Unpooled.directBuffer(BLOCK, BLOCK);
    for (int i = 0; i < BLOCK; i++) {
      buffer.writeByte(at(i));
    }
    return buffer;
  }
}
