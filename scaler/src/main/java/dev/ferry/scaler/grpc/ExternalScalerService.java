package dev.ferry.scaler.grpc;

import dev.ferry.protocol.Topology;
import dev.ferry.scaler.externalscaler.ExternalScalerGrpc;
import dev.ferry.scaler.externalscaler.GetMetricSpecResponse;
import dev.ferry.scaler.externalscaler.GetMetricsRequest;
import dev.ferry.scaler.externalscaler.GetMetricsResponse;
import dev.ferry.scaler.externalscaler.IsActiveResponse;
import dev.ferry.scaler.externalscaler.MetricSpec;
import dev.ferry.scaler.externalscaler.MetricValue;
import dev.ferry.scaler.externalscaler.ScaledObjectRef;
import dev.ferry.scaler.load.Loads;
import dev.ferry.scaler.load.ServiceLoad;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * KEDA's {@code externalscaler.ExternalScaler} for Ferry services (PROTOCOL.md section 17). The
 * metric {@code ferry-<service>} is the requests waiting in {@code ferry.req.<service>} plus those
 * its server sidecars hold; a trigger is active while it exceeds {@code activationValue}. {@code
 * IsActive} and {@code GetMetrics} answer from what the poller and the reports last said (a service
 * asked about for the first time is answered after its queue's first poll); {@code StreamIsActive}
 * pushes each change of activity. Never blocks a gRPC thread. Bad metadata is {@code
 * INVALID_ARGUMENT}; no current reading (broker unreachable) is {@code UNAVAILABLE}, which KEDA
 * treats as a scaler error (its {@code fallback}, if any) instead of a zero.
 */
public final class ExternalScalerService extends ExternalScalerGrpc.ExternalScalerImplBase {
  /** How long a question about a new service waits for the first poll of its queue. */
  static final Duration FIRST_READING_TIMEOUT = Duration.ofSeconds(5);

  private final Loads loads;
  private final Set<ActivityStream> streams = ConcurrentHashMap.newKeySet();

  public ExternalScalerService(Loads loads) {
    this.loads = loads;
  }

  /** Open {@code StreamIsActive} calls. */
  public int streams() {
    return streams.size();
  }

  /** Ends every open {@code StreamIsActive} call cleanly, before the server stops. */
  public void completeStreams() {
    for (ActivityStream stream : streams) {
      streams.remove(stream);
      stream.complete();
    }
  }

  @Override
  public void isActive(ScaledObjectRef ref, StreamObserver<IsActiveResponse> response) {
    Trigger trigger = trigger(ref, response);
    if (trigger != null) {
      answer(
          trigger,
          response,
          metric -> IsActiveResponse.newBuilder().setResult(trigger.active(metric)).build());
    }
  }

  @Override
  public void getMetrics(GetMetricsRequest request, StreamObserver<GetMetricsResponse> response) {
    Trigger trigger = trigger(request.getScaledObjectRef(), response);
    if (trigger == null) {
      return;
    }
    String name =
        request.getMetricName().isEmpty() ? trigger.metricName() : request.getMetricName();
    answer(
        trigger,
        response,
        metric ->
            GetMetricsResponse.newBuilder()
                .addMetricValues(
                    MetricValue.newBuilder()
                        .setMetricName(name)
                        .setMetricValue(metric)
                        .setMetricValueFloat(metric))
                .build());
  }

  @Override
  public void getMetricSpec(ScaledObjectRef ref, StreamObserver<GetMetricSpecResponse> response) {
    Trigger trigger = trigger(ref, response);
    if (trigger == null) {
      return;
    }
    loads.watch(trigger.service()); // KEDA asks this first: polling starts now.
    response.onNext(
        GetMetricSpecResponse.newBuilder()
            .addMetricSpecs(
                MetricSpec.newBuilder()
                    .setMetricName(trigger.metricName())
                    .setTargetSize(Math.max(1, Math.round(trigger.target())))
                    .setTargetSizeFloat(trigger.target()))
            .build());
    response.onCompleted();
  }

  @Override
  public void streamIsActive(ScaledObjectRef ref, StreamObserver<IsActiveResponse> response) {
    Trigger trigger = trigger(ref, response);
    if (trigger == null) {
      return;
    }
    ServerCallStreamObserver<IsActiveResponse> call =
        (ServerCallStreamObserver<IsActiveResponse>) response;
    ActivityStream stream = new ActivityStream(call, trigger, loads.watch(trigger.service()));
    streams.add(stream);
    call.setOnCancelHandler(
        () -> {
          streams.remove(stream);
          stream.cancelled();
        });
    call.setOnReadyHandler(stream::flush);
    stream.start();
  }

  /** The trigger of {@code ref}, or null after answering INVALID_ARGUMENT. */
  private static Trigger trigger(ScaledObjectRef ref, StreamObserver<?> response) {
    try {
      return Trigger.of(ref);
    } catch (IllegalArgumentException e) {
      response.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "scaledObject "
                      + ref.getNamespace()
                      + "/"
                      + ref.getName()
                      + ": metadata "
                      + e.getMessage())
              .asRuntimeException());
      return null;
    }
  }

  /** Answers with the service's metric once its queue has been read, or UNAVAILABLE. */
  private <T> void answer(Trigger trigger, StreamObserver<T> response, LongFunction<T> message) {
    ServiceLoad load = loads.watch(trigger.service());
    load.firstReading()
        .orTimeout(FIRST_READING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (ignored, failure) -> {
              OptionalLong metric = load.metric();
              if (metric.isEmpty()) {
                response.onError(
                    Status.UNAVAILABLE
                        .withDescription(
                            "no current reading of queue "
                                + Topology.requestQueue(trigger.service())
                                + " (is the broker reachable?)")
                        .asRuntimeException());
                return;
              }
              response.onNext(message.apply(metric.getAsLong()));
              response.onCompleted();
            });
  }
}
