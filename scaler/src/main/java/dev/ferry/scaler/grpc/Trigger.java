package dev.ferry.scaler.grpc;

import dev.ferry.protocol.Topology;
import dev.ferry.scaler.externalscaler.ScaledObjectRef;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One {@code external-push} trigger's metadata, as KEDA passes it in every call: {@code service}
 * (required: the Ferry service, queue {@code ferry.req.<service>}), {@code value} (the target of
 * ready + in-flight requests per replica, default {@value #DEFAULT_TARGET}) and {@code
 * activationValue} (active above it, default 0). Other keys ({@code scalerAddress}, …) are KEDA's.
 *
 * @param scaledObject {@code namespace/name}, for logs
 */
record Trigger(String service, double target, double activation, String scaledObject) {
  static final double DEFAULT_TARGET = 16;

  private static final Pattern NUMBER = Pattern.compile("\\d{1,15}(\\.\\d{1,15})?");

  /** Reads {@code ref}'s metadata; an {@link IllegalArgumentException} names what is wrong. */
  static Trigger of(ScaledObjectRef ref) {
    Map<String, String> metadata = ref.getScalerMetadataMap();
    String service = metadata.get("service");
    if (service == null || service.isBlank()) {
      throw new IllegalArgumentException(
          "service: missing (expected: the Ferry service whose queue ferry.req.<service> to"
              + " scale on, in the trigger's metadata)");
    }
    try {
      Topology.checkServiceName(service.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    double target = number(metadata, "value", DEFAULT_TARGET);
    if (target <= 0) {
      throw new IllegalArgumentException("value: '" + metadata.get("value") + "' (expected: > 0)");
    }
    return new Trigger(
        service.trim(),
        target,
        number(metadata, "activationValue", 0),
        ref.getNamespace() + "/" + ref.getName());
  }

  private static double number(Map<String, String> metadata, String key, double absent) {
    String value = metadata.get(key);
    if (value == null || value.isBlank()) {
      return absent;
    }
    if (!NUMBER.matcher(value.trim()).matches()) {
      throw new IllegalArgumentException(
          key + ": '" + value + "' (expected: a number >= 0, such as 16 or 2.5)");
    }
    return Double.parseDouble(value.trim());
  }

  /** The metric's name: {@code ferry-<service>}. */
  String metricName() {
    return "ferry-" + service;
  }

  /** True when {@code metric} requests call for at least one replica. */
  boolean active(long metric) {
    return metric > activation;
  }
}
