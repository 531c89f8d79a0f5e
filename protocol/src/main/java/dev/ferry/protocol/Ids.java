package dev.ferry.protocol;

import java.security.SecureRandom;

/**
 * Random, unguessable identifiers: 128 bits from a {@link SecureRandom}, as 32 lowercase hex
 * digits.
 */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Ids() {}

  public static String random128() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    char[] out = new char[32];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[bytes[i] & 0xf];
    }
    return new String(out);
  }
}
