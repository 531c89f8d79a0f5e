package dev.ferry.loadtest.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * What Linux's {@code /proc} tells about a process: CPU time used ({@code stat}: utime + stime),
 * peak and current resident memory ({@code status}: VmHWM, VmRSS), and which process listens on a
 * TCP port. Reads return empty where {@code /proc} is missing or the process is gone. The parsers
 * are pure, for tests.
 */
final class ProcFs {
  /**
   * Clock ticks per second of {@code stat}'s times: USER_HZ, 100 on every mainstream Linux build
   * (Java cannot call sysconf).
   */
  static final long TICKS_PER_SECOND = 100;

  private ProcFs() {}

  /** CPU time the process has used so far (user + system), in clock ticks. */
  static OptionalLong cpuTicks(long pid) {
    String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
    return stat == null ? OptionalLong.empty() : OptionalLong.of(parseCpuTicks(stat));
  }

  /** utime + stime from a {@code /proc/<pid>/stat} line (fields 14 and 15). */
  static long parseCpuTicks(String stat) {
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /** The peak resident set (VmHWM) in KiB. */
  static OptionalLong peakRssKib(long pid) {
    return statusKib(pid, "VmHWM");
  }

  /** The current resident set (VmRSS) in KiB. */
  static OptionalLong rssKib(long pid) {
    return statusKib(pid, "VmRSS");
  }

  private static OptionalLong statusKib(long pid, String field) {
    String status = read(Path.of("/proc", Long.toString(pid), "status"));
    return status == null ? OptionalLong.empty() : parseStatusKib(status, field);
  }

  /** A {@code NAME: 123 kB} line of {@code /proc/<pid>/status}, in KiB. */
  static OptionalLong parseStatusKib(String status, String field) {
    for (String line : status.split("\n")) {
      if (line.startsWith(field + ":")) {
        String value = line.substring(field.length() + 1).trim();
        return OptionalLong.of(Long.parseLong(value.split("\\s+")[0]));
      }
    }
    return OptionalLong.empty();
  }

  /**
   * The process named {@code command} (e.g. {@code beam.smp}) that listens on TCP {@code port}; if
   * that cannot be told (sockets of other users are hidden), the only process of that name; else
   * empty.
   */
  static OptionalLong listener(String command, int port) {
    List<Long> candidates = processesNamed(command);
    List<String> inodes = listeningInodes(port);
    for (long pid : candidates) {
      try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
        boolean listens =
            fds.anyMatch(
                fd -> {
                  try {
                    String link = Files.readSymbolicLink(fd).toString();
                    return inodes.stream().anyMatch(inode -> link.equals("socket:[" + inode + "]"));
                  } catch (IOException e) {
                    return false;
                  }
                });
        if (listens) {
          return OptionalLong.of(pid);
        }
      } catch (IOException | SecurityException e) {
        // not ours to look into: fall through to the name alone
      }
    }
    return candidates.size() == 1 ? OptionalLong.of(candidates.get(0)) : OptionalLong.empty();
  }

  private static List<Long> processesNamed(String command) {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      entries
          .filter(entry -> entry.getFileName().toString().chars().allMatch(Character::isDigit))
          .forEach(
              entry -> {
                String comm = read(entry.resolve("comm"));
                if (comm != null && comm.trim().equals(command)) {
                  pids.add(Long.parseLong(entry.getFileName().toString()));
                }
              });
    } catch (IOException e) {
      return List.of();
    }
    return pids;
  }

  /** Socket inodes listening on {@code port}, from {@code /proc/net/tcp} and {@code tcp6}. */
  private static List<String> listeningInodes(int port) {
    List<String> inodes = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      String text = read(Path.of(table));
      if (text != null) {
        inodes.addAll(parseListeningInodes(text, port));
      }
    }
    return inodes;
  }

  /** Inodes of the sockets in state LISTEN (0A) on local {@code port} in a /proc/net/tcp table. */
  static List<String> parseListeningInodes(String table, int port) {
    String hexPort = String.format(Locale.ROOT, ":%04X", port);
    List<String> inodes = new ArrayList<>();
    for (String line : table.split("\n")) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length > 9 && fields[1].endsWith(hexPort) && fields[3].equals("0A")) {
        inodes.add(fields[9]);
      }
    }
    return inodes;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException | SecurityException e) {
      return null;
    }
  }
}
