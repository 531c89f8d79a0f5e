package dev.ferry.loadtest.scale;

import dev.ferry.common.Cli.ConfigException;
import dev.ferry.common.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The load over time, as phases one after another: {@code idle:10s,burst:20s@40/s,idle:40s} is 10 s
 * without requests, 20 s at 40 requests a second, 40 s without. A phase without {@code @RATE/s}
 * sends nothing; the name is only a label.
 *
 * @param phases in order, at least one
 */
record LoadPattern(List<Phase> phases) {
  private static final Pattern PHASE =
      Pattern.compile("([A-Za-z][A-Za-z0-9_-]*):(\\d+(?:ms|s|m|h))(?:@(\\d{1,5})(?:/s)?)?");
  private static final int MAX_RATE = 5000;

  /**
   * One phase.
   *
   * @param name its label, e.g. {@code burst}
   * @param duration how long it lasts
   * @param rate requests per second (0: none)
   */
  record Phase(String name, Duration duration, int rate) {
    @Override
    public String toString() {
      return name + ":" + ScaleConfig.human(duration) + (rate > 0 ? "@" + rate + "/s" : "");
    }
  }

  LoadPattern {
    phases = List.copyOf(phases);
    if (phases.isEmpty() || total(phases).isZero()) {
      throw new ConfigException("--pattern: empty (expected: e.g. idle:10s,burst:20s@40/s)");
    }
  }

  /** Parses {@code text}; names the phase that is wrong. */
  static LoadPattern parse(String text) {
    List<Phase> phases = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      Matcher matcher = PHASE.matcher(part.trim());
      if (!matcher.matches()) {
        throw new ConfigException(
            "--pattern: '"
                + part.trim()
                + "' (expected: NAME:DURATION[@RATE/s], comma-separated, e.g."
                + " idle:10s,burst:20s@40/s,idle:40s)");
      }
      int rate = matcher.group(3) == null ? 0 : Integer.parseInt(matcher.group(3));
      if (rate > MAX_RATE) {
        throw new ConfigException(
            "--pattern: '" + part.trim() + "': rate " + rate + " (expected: at most 5000/s)");
      }
      phases.add(new Phase(matcher.group(1), Durations.parse(matcher.group(2)), rate));
    }
    return new LoadPattern(phases);
  }

  /** The phases' durations added up. */
  Duration duration() {
    return total(phases);
  }

  /** The phase at {@code elapsed} since the start; the last one after the end. */
  Phase phaseAt(Duration elapsed) {
    Duration end = Duration.ZERO;
    for (Phase phase : phases) {
      end = end.plus(phase.duration());
      if (elapsed.compareTo(end) < 0) {
        return phase;
      }
    }
    return phases.get(phases.size() - 1);
  }

  /** How many requests it sends in all (each phase's rate × its duration, rounded down). */
  long requests() {
    return phases.stream()
        .mapToLong(phase -> phase.rate() * phase.duration().toMillis() / 1000)
        .sum();
  }

  @Override
  public String toString() {
    return phases.stream().map(Phase::toString).collect(Collectors.joining(","));
  }

  private static Duration total(List<Phase> phases) {
    return phases.stream().map(Phase::duration).reduce(Duration.ZERO, Duration::plus);
  }
}
