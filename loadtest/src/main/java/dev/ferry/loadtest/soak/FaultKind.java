package dev.ferry.loadtest.soak;

import dev.ferry.common.Cli.ConfigException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The faults the soak injects, by their names on the command line ({@code --faults}). */
enum FaultKind {
  CUT_CLIENT("resets the client sidecar's broker connections"),
  CUT_SERVER("resets one server sidecar's broker connections"),
  BLACKHOLE_CLIENT("stops the client sidecar's broker traffic for a few seconds, then heals"),
  BLACKHOLE_SERVER("stops one server sidecar's broker traffic for a few seconds, then heals"),
  DELAY_CLIENT("delays the client sidecar's broker traffic for a few seconds"),
  DELAY_SERVER("delays one server sidecar's broker traffic for a few seconds"),
  KILL_SERVER("SIGKILLs one server sidecar and starts a new one"),
  TERM_SERVER("SIGTERMs one server sidecar (it drains) and starts a new one");

  private final String description;

  FaultKind(String description) {
    this.description = description;
  }

  /** The name on the command line and in the output, e.g. {@code cut-client}. */
  String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  String description() {
    return description;
  }

  /** All names, comma-separated: the default of {@code --faults}. */
  static String allLabels() {
    return Arrays.stream(values()).map(FaultKind::label).collect(Collectors.joining(","));
  }

  /** The kind named {@code label}; a {@link ConfigException} naming the choices otherwise. */
  static FaultKind parse(String label) {
    for (FaultKind kind : values()) {
      if (kind.label().equals(label.trim())) {
        return kind;
      }
    }
    throw new ConfigException(
        "--faults: '" + label + "' (expected: a comma-separated list of " + allLabels() + ")");
  }

  /** Whether the fault hits a server sidecar (as opposed to the client sidecar). */
  boolean targetsServer() {
    return this != CUT_CLIENT && this != BLACKHOLE_CLIENT && this != DELAY_CLIENT;
  }
}
