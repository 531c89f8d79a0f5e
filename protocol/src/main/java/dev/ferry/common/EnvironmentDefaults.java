package dev.ferry.common;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Gives every long option {@code --foo-bar} the environment variable {@code FERRY_FOO_BAR} as its
 * default, falling back to the default written on the option. Flags win over variables.
 */
public final class EnvironmentDefaults implements CommandLine.IDefaultValueProvider {
  private final Map<String, String> environment;

  public EnvironmentDefaults(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /** The variable that backs option {@code --foo-bar}: {@code FERRY_FOO_BAR}. */
  public static String variableFor(String longOption) {
    return "FERRY_" + longOption.replaceFirst("^--", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (argSpec instanceof OptionSpec option && option.longestName().startsWith("--")) {
      String value = environment.get(variableFor(option.longestName()));
      if (value != null) {
        return value;
      }
    }
    return argSpec.defaultValue();
  }
}
