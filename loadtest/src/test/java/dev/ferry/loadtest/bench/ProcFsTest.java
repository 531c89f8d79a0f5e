package dev.ferry.loadtest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ProcFsTest {
  @Test
  void addsUserAndSystemTimeEvenWhenTheCommandNameHasSpacesAndParentheses() {
    String stat =
        "2935 (beam (smp) x) S 1 2935 2935 0 -1 4194560 81240 0 0 0 1234 567 0 0 20 0 33 0";

    assertThat(ProcFs.parseCpuTicks(stat)).isEqualTo(1234 + 567);
  }

  @Test
  void readsKibFieldsOfStatus() {
    String status = "Name:\tjava\nVmPeak:\t 3000000 kB\nVmHWM:\t  112340 kB\nVmRSS:\t   99000 kB\n";

    assertThat(ProcFs.parseStatusKib(status, "VmHWM")).isEqualTo(OptionalLong.of(112_340));
    assertThat(ProcFs.parseStatusKib(status, "VmRSS")).isEqualTo(OptionalLong.of(99_000));
    assertThat(ProcFs.parseStatusKib(status, "VmSwap")).isEmpty();
  }

  @Test
  void findsTheInodesListeningOnAPort() {
    String table =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid "
            + " timeout inode\n"
            + "   0: 00000000:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000  999"
            + "        0 41234 1 0000000000000000 100 0 0 10 0\n"
            + "   1: 0100007F:1628 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000  999"
            + "        0 51234 1 0000000000000000 20 4 30 10 -1\n"
            + "   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000    0"
            + "        0 61234 1 0000000000000000 100 0 0 10 0\n";

    assertThat(ProcFs.parseListeningInodes(table, 5672)).containsExactly("41234");
    assertThat(ProcFs.parseListeningInodes(table, 8080)).containsExactly("61234");
  }

  @Test
  void cpuPerRequestIsTicksInMicrosecondsOverRequests() {
    // 50 ticks = 0.5 s of CPU over 10 000 requests = 50 µs each.
    assertThat(Cell.cpuMicrosPerRequest(50, 10_000)).isEqualTo(50.0);
    assertThat(Cell.cpuMicrosPerRequest(50, 0)).isNaN();
  }

  @Test
  void readsThisJvmsOwnCpuTimeAndMemory() {
    long pid = ProcessHandle.current().pid();

    assertThat(ProcFs.cpuTicks(pid)).isPresent();
    assertThat(ProcFs.peakRssKib(pid).orElseThrow()).isPositive();
  }
}
