package dev.ferry.loadtest.scale;

import dev.ferry.common.Cli.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * What the simulation reads from a KEDA {@code ScaledObject} manifest ({@code keda.sh/v1alpha1}),
 * with KEDA's and the HPA's defaults for what the manifest leaves out: {@code pollingInterval} 30
 * s, {@code cooldownPeriod} 300 s, {@code minReplicaCount} 0, {@code maxReplicaCount} 100, the
 * HPA's scale-up stabilization 0 s and scale-down stabilization 300 s ({@code
 * spec.advanced.horizontalPodAutoscalerConfig.behavior}).
 *
 * @param name {@code metadata.name}
 * @param minReplicaCount {@code spec.minReplicaCount}
 * @param maxReplicaCount {@code spec.maxReplicaCount}
 * @param pollingInterval {@code spec.pollingInterval}
 * @param cooldownPeriod {@code spec.cooldownPeriod}
 * @param scaleUpStabilization {@code ...behavior.scaleUp.stabilizationWindowSeconds}
 * @param scaleDownStabilization {@code ...behavior.scaleDown.stabilizationWindowSeconds}
 * @param scaleUpPolicies {@code ...behavior.scaleUp.policies} and {@code selectPolicy}
 * @param scaleDownPolicies {@code ...behavior.scaleDown.policies} and {@code selectPolicy}
 * @param trigger its one {@code rabbitmq} trigger
 */
record ScaledObject(
    String name,
    int minReplicaCount,
    int maxReplicaCount,
    Duration pollingInterval,
    Duration cooldownPeriod,
    Duration scaleUpStabilization,
    Duration scaleDownStabilization,
    ScalingPolicies scaleUpPolicies,
    ScalingPolicies scaleDownPolicies,
    RabbitTrigger trigger) {

  /**
   * The {@code rabbitmq} trigger's metadata. Only {@code mode: QueueLength} is simulated.
   *
   * @param queueName {@code queueName}, e.g. {@code ferry.req.echo}
   * @param value {@code value}: the queue length one replica should carry (the HPA's target average
   *     value)
   * @param activationValue {@code activationValue} (default 0): KEDA activates above it
   * @param protocol {@code protocol}: {@code http} (the management API) or {@code amqp}; {@code
   *     auto} when absent
   * @param excludeUnacknowledged {@code excludeUnacknowledged} (default false)
   */
  record RabbitTrigger(
      String queueName,
      double value,
      double activationValue,
      String protocol,
      boolean excludeUnacknowledged) {

    /**
     * Whether KEDA's queue length includes unacknowledged messages: with {@code protocol: http} it
     * reads the management API's {@code messages} (ready + unacked) unless {@code
     * excludeUnacknowledged}; over AMQP it sees only ready messages (a passive declare).
     */
    boolean countsUnacknowledged() {
      return "http".equals(protocol) && !excludeUnacknowledged;
    }
  }

  /**
   * Reads the first {@code ScaledObject} in {@code file} (documents of other kinds are skipped).
   */
  static ScaledObject read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(
          "--scaled-object: cannot read "
              + file.toAbsolutePath()
              + " (expected: a KEDA ScaledObject manifest such as deploy/keda/echo-scaledobject.yaml,"
              + " relative to the repository root)");
    }
    return parse(text, file.toString());
  }

  /** Parses the first {@code ScaledObject} of the YAML {@code text}; {@code source} names it. */
  static ScaledObject parse(String text, String source) {
    try {
      Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
      for (Object document : yaml.loadAll(text)) {
        if (document instanceof Map<?, ?> map && "ScaledObject".equals(map.get("kind"))) {
          return of(map, source);
        }
      }
    } catch (YAMLException e) {
      throw invalid(source, "not YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    throw invalid(source, "no document of kind ScaledObject");
  }

  private static ScaledObject of(Map<?, ?> object, String source) {
    Fields metadata = new Fields(object.get("metadata"), "metadata", source);
    Fields spec = new Fields(object.get("spec"), "spec", source);
    Fields behavior =
        spec.child("advanced").child("horizontalPodAutoscalerConfig").child("behavior");
    return new ScaledObject(
        metadata.text("name", "(unnamed)"),
        spec.whole("minReplicaCount", 0),
        spec.whole("maxReplicaCount", 100),
        Duration.ofSeconds(spec.whole("pollingInterval", 30)),
        Duration.ofSeconds(spec.whole("cooldownPeriod", 300)),
        Duration.ofSeconds(behavior.child("scaleUp").whole("stabilizationWindowSeconds", 0)),
        Duration.ofSeconds(behavior.child("scaleDown").whole("stabilizationWindowSeconds", 300)),
        policies(behavior.child("scaleUp"), ScalingPolicies.DEFAULT_UP, source),
        policies(behavior.child("scaleDown"), ScalingPolicies.DEFAULT_DOWN, source),
        rabbitTrigger(spec, source));
  }

  /** Missing fields take the HPA's defaults, as the API server fills them in. */
  private static ScalingPolicies policies(
      Fields direction, ScalingPolicies defaults, String source) {
    List<ScalingPolicies.Policy> policies =
        direction.has("policies")
            ? direction.list("policies").stream()
                .map(
                    policy ->
                        new ScalingPolicies.Policy(
                            policy.text("type", ""),
                            policy.whole("value", 0),
                            Duration.ofSeconds(policy.whole("periodSeconds", 0))))
                .toList()
            : defaults.policies();
    try {
      return new ScalingPolicies(direction.text("selectPolicy", defaults.selectPolicy()), policies);
    } catch (ConfigException e) {
      throw invalid(source, direction.path() + ": " + e.getMessage());
    }
  }

  private static RabbitTrigger rabbitTrigger(Fields spec, String source) {
    List<Fields> rabbit =
        spec.list("triggers").stream()
            .filter(trigger -> "rabbitmq".equals(trigger.text("type", "")))
            .toList();
    if (rabbit.size() != 1) {
      throw invalid(
          source, "spec.triggers has " + rabbit.size() + " rabbitmq triggers (expected: one)");
    }
    Fields metadata = rabbit.get(0).child("metadata");
    String mode = metadata.text("mode", metadata.has("queueLength") ? "QueueLength" : "");
    if (!"QueueLength".equals(mode)) {
      throw invalid(source, "rabbitmq trigger mode '" + mode + "' (expected: QueueLength)");
    }
    double value = metadata.number("value", metadata.number("queueLength", Double.NaN));
    if (!(value > 0)) {
      throw invalid(source, "rabbitmq trigger value " + value + " (expected: > 0)");
    }
    return new RabbitTrigger(
        metadata.text("queueName", ""),
        value,
        metadata.number("activationValue", 0),
        metadata.text("protocol", "auto"),
        Boolean.parseBoolean(metadata.text("excludeUnacknowledged", "false")));
  }

  private static ConfigException invalid(String source, String problem) {
    return new ConfigException("--scaled-object: " + source + ": " + problem);
  }

  /** A YAML mapping at {@code path}; absent ones read as empty, so that defaults apply. */
  private record Fields(Map<?, ?> map, String path, String source) {
    Fields(Object node, String path, String source) {
      this(node instanceof Map<?, ?> m ? m : Map.of(), path, source);
    }

    boolean has(String key) {
      return map.containsKey(key);
    }

    Fields child(String key) {
      return new Fields(map.get(key), path + "." + key, source);
    }

    List<Fields> list(String key) {
      Object node = map.get(key);
      if (!(node instanceof List<?> items)) {
        return List.of();
      }
      return items.stream().map(item -> new Fields(item, path + "." + key + "[]", source)).toList();
    }

    String text(String key, String fallback) {
      Object node = map.get(key);
      return node == null ? fallback : node.toString();
    }

    /** KEDA writes trigger metadata as strings ({@code value: "16"}); both forms are read. */
    double number(String key, double fallback) {
      Object node = map.get(key);
      if (node == null) {
        return fallback;
      }
      try {
        return Double.parseDouble(node.toString().trim());
      } catch (NumberFormatException e) {
        throw invalid(source, path + "." + key + ": '" + node + "' is not a number");
      }
    }

    int whole(String key, int fallback) {
      Object node = map.get(key);
      if (node == null) {
        return fallback;
      }
      if (!(node instanceof Integer number) || number < 0) {
        throw invalid(
            source, path + "." + key + ": '" + node + "' (expected: a whole number >= 0)");
      }
      return number;
    }
  }
}
