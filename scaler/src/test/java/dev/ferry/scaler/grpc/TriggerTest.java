package dev.ferry.scaler.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.scaler.externalscaler.ScaledObjectRef;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TriggerTest {
  @Test
  void readsTheMetadataOfTheExampleScaledObject() {
    Trigger trigger =
        Trigger.of(
            ref(
                Map.of(
                    "scalerAddress", "ferry-scaler.ferry-system.svc.cluster.local:6000",
                    "service", "echo",
                    "value", "16",
                    "activationValue", "0")));

    assertThat(trigger).isEqualTo(new Trigger("echo", 16, 0, "shop/echo"));
    assertThat(trigger.metricName()).isEqualTo("ferry-echo");
    assertThat(trigger.active(0)).isFalse();
    assertThat(trigger.active(1)).isTrue();
  }

  @Test
  void defaultsTheTargetAndTheActivationAndTakesFractions() {
    assertThat(Trigger.of(ref(Map.of("service", "echo"))))
        .isEqualTo(new Trigger("echo", 16, 0, "shop/echo"));
    Trigger fractional =
        Trigger.of(ref(Map.of("service", "echo", "value", "2.5", "activationValue", "3")));
    assertThat(fractional.target()).isEqualTo(2.5);
    assertThat(fractional.active(3)).isFalse();
    assertThat(fractional.active(4)).isTrue();
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "service         | ''",
        "service         | or ders",
        "value           | 0",
        "value           | -1",
        "value           | lots",
        "value           | 1e3",
        "activationValue | NaN",
      })
  void namesTheBadKey(String key, String value) {
    Map<String, String> metadata = new HashMap<>(Map.of("service", "echo"));
    metadata.put(key, value);

    assertThatThrownBy(() -> Trigger.of(ref(metadata)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(key + ":");
  }

  private static ScaledObjectRef ref(Map<String, String> metadata) {
    return ScaledObjectRef.newBuilder()
        .setNamespace("shop")
        .setName("echo")
        .putAllScalerMetadata(metadata)
        .build();
  }
}
