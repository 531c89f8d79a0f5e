package dev.ferry.loadtest.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** A one-line label of the machine the bench ran on, for the results. */
final class Machine {
  private Machine() {}

  /** E.g. {@code 2 CPUs (Intel Xeon ...), 23.5 GiB RAM, Linux 6.1, Java 17.0.12}. */
  static String describe() {
    String cpu = "unknown CPU";
    try {
      cpu =
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(line -> line.startsWith("model name"))
              .map(line -> line.substring(line.indexOf(':') + 1).trim())
              .findFirst()
              .orElse(cpu);
    } catch (IOException e) {
      // not Linux: keep "unknown CPU"
    }
    return String.format(
        Locale.ROOT,
        "%d CPUs (%s), %.1f GiB RAM, %s %s, Java %s",
        Runtime.getRuntime().availableProcessors(),
        cpu,
        memoryGib(),
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        System.getProperty("java.version"));
  }

  private static double memoryGib() {
    try {
      return ProcFs.parseStatusKib(Files.readString(Path.of("/proc/meminfo")), "MemTotal").orElse(0)
          / 1024.0
          / 1024.0;
    } catch (IOException e) {
      return 0;
    }
  }
}
