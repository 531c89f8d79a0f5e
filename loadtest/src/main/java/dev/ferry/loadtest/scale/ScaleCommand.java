package dev.ferry.loadtest.scale;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry-loadtest scale}: KEDA's scale-from-zero, simulated on one machine with real
 * processes and a real broker; exits 0 when no request was lost, 1 otherwise (2 for a bad flag or
 * manifest). Its short run is {@code ScaleSimulationIT} in the e2e module.
 */
@Command(
    name = "scale",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Scale from zero on one machine: reads a KEDA ScaledObject (its rabbitmq trigger in mode"
          + " QueueLength), watches the real queue on the broker and starts or SIGTERMs server"
          + " sidecar processes (from their jar) as KEDA and the HPA would: activation above"
          + " activationValue, ceil(queue length / value) within min..max, the scale-down"
          + " stabilization window, zero after cooldownPeriod without activity. Meanwhile"
          + " --pattern's load goes through a client sidecar process to an echo in this process"
          + " that answers after --delay.",
      "Prints a timeline line every second (replicas, queue, latency, scaling decisions) and a"
          + " summary; writes scale-timeline.svg, .csv and .json into --out-dir.",
      "Exit status: 0 when every request got the echo's answer, 1 otherwise, 2 for a bad option."
          + " Options can also be set with the FERRY_* variable named after them."
    })
public final class ScaleCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Option(
      names = "--amqp-uri",
      defaultValue = "amqp://guest:guest@127.0.0.1:5672/",
      paramLabel = "URI",
      description = "The broker (default: ${DEFAULT-VALUE}).")
  private String amqpUri;

  @Option(
      names = "--scaled-object",
      defaultValue = ScaleConfig.SCALED_OBJECT,
      paramLabel = "FILE",
      description = "The KEDA ScaledObject manifest (default: ${DEFAULT-VALUE}).")
  private Path scaledObject;

  @Option(
      names = "--service",
      paramLabel = "NAME",
      description =
          "The Ferry service, queue ferry.req.NAME (default: from the trigger's queueName).")
  private String service;

  @Option(
      names = "--time-scale",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "Divide the manifest's pollingInterval, cooldownPeriod and stabilization windows by N,"
              + " for a short run (default: ${DEFAULT-VALUE}).")
  private double timeScale;

  @Option(
      names = "--polling-interval",
      paramLabel = "DURATION",
      description = "Poll this often instead (e.g. 1s).")
  private Duration pollingInterval;

  @Option(
      names = "--cooldown",
      paramLabel = "DURATION",
      description = "Use this cooldownPeriod instead.")
  private Duration cooldown;

  @Option(
      names = "--stabilization",
      paramLabel = "DURATION",
      description = "Use this scale-down stabilization window instead.")
  private Duration stabilization;

  @Option(
      names = "--pattern",
      defaultValue = "idle:10s,burst:30s@50/s,idle:10s",
      paramLabel = "PHASES",
      description =
          "The load: NAME:DURATION[@RATE/s] phases, comma-separated; afterwards the run goes on"
              + " until zero replicas (default: ${DEFAULT-VALUE}).")
  private String pattern;

  @Option(
      names = "--delay",
      defaultValue = "500ms",
      paramLabel = "DURATION",
      description =
          "How long the echo takes per request (?delay=), so that work queues up (default:"
              + " ${DEFAULT-VALUE}).")
  private Duration delay;

  @Option(
      names = "--deadline",
      defaultValue = "30s",
      paramLabel = "DURATION",
      description =
          "Each request's ferry-timeout, long enough for a cold start (default: ${DEFAULT-VALUE}).")
  private Duration deadline;

  @Option(
      names = "--client-jar",
      defaultValue = ScaleConfig.CLIENT_JAR,
      paramLabel = "JAR",
      description =
          "The client sidecar's jar (default: ${DEFAULT-VALUE}, from the repository root).")
  private Path clientJar;

  @Option(
      names = "--server-jar",
      defaultValue = ScaleConfig.SERVER_JAR,
      paramLabel = "JAR",
      description =
          "The server sidecar's jar (default: ${DEFAULT-VALUE}, from the repository root).")
  private Path serverJar;

  @Option(
      names = "--queue-type",
      defaultValue = "quorum",
      paramLabel = "TYPE",
      description =
          "Type of the request queue if it has to be declared, quorum or classic (default:"
              + " ${DEFAULT-VALUE}).")
  private String queueType;

  @Option(
      names = "--out-dir",
      defaultValue = ".",
      paramLabel = "DIR",
      description =
          "Where scale-timeline.svg, .csv and .json are written (default: ${DEFAULT-VALUE}).")
  private Path outDir;

  @Option(
      names = "--log-dir",
      paramLabel = "DIR",
      description = "Where the sidecar processes log (default: a new temporary directory).")
  private Path logDir;

  @Option(
      names = "--settle-timeout",
      paramLabel = "DURATION",
      description =
          "After the pattern, wait at most this long for every answer and zero replicas (default:"
              + " the deadline + cooldown + stabilization + 2 polls + 60s).")
  private Duration settleTimeout;

  @Override
  public Integer call() throws Exception {
    ScaledObject object = ScaledObject.read(scaledObject);
    ScalingRules rules =
        ScalingRules.of(object, timeScale, pollingInterval, cooldown, stabilization);
    ScaleConfig config =
        new ScaleConfig(
            amqpUri,
            scaledObject,
            object,
            rules,
            service != null ? service : ScaleConfig.serviceOf(object.trigger().queueName()),
            LoadPattern.parse(pattern),
            delay,
            deadline,
            (int) Math.max(1, Math.round(object.trigger().value())),
            clientJar,
            serverJar,
            queueType,
            outDir,
            logDir,
            settleTimeout != null ? settleTimeout : defaultSettleTimeout(rules));
    return new ScaleSimulation(config, spec.commandLine().getOut()).run();
  }

  private Duration defaultSettleTimeout(ScalingRules rules) {
    return deadline
        .plus(rules.cooldownPeriod())
        .plus(rules.scaleDownStabilization())
        .plus(rules.pollingInterval().multipliedBy(2))
        .plusSeconds(60);
  }
}
