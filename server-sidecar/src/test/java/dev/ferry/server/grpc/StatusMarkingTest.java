package dev.ferry.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Which statuses are the service's own, and how the ones this sidecar made are marked. */
class StatusMarkingTest {
  @ParameterizedTest
  @EnumSource(Status.Code.class)
  void neverMarksAStatusTheServiceSentInItsTrailers(Status.Code code) {
    assertThat(StatusMarking.sidecarError(code, true, false)).isNull();
    assertThat(StatusMarking.sidecarError(code, true, true)).isNull();
  }

  @Test
  void marksTheDeadlinePassingHereAsATimeout() {
    assertThat(StatusMarking.sidecarError(Status.Code.DEADLINE_EXCEEDED, false, true))
        .isEqualTo(FerryError.TIMEOUT);
    assertThat(StatusMarking.sidecarError(Status.Code.DEADLINE_EXCEEDED, false, false))
        .isEqualTo(FerryError.TIMEOUT);
    // The service reset the stream at its own deadline, a moment before this sidecar's fired.
    assertThat(StatusMarking.sidecarError(Status.Code.CANCELLED, false, true))
        .isEqualTo(FerryError.TIMEOUT);
  }

  @Test
  void marksAServiceThatCouldNotBeReachedAsUpstreamUnavailable() {
    assertThat(StatusMarking.sidecarError(Status.Code.UNAVAILABLE, false, false))
        .isEqualTo(FerryError.UPSTREAM_UNAVAILABLE);
    assertThat(StatusMarking.sidecarError(Status.Code.CANCELLED, false, false))
        .isEqualTo(FerryError.UPSTREAM_UNAVAILABLE);
  }

  @Test
  void marksAnAnswerThatCannotBeCarriedAsUpstreamInvalid() {
    assertThat(StatusMarking.sidecarError(Status.Code.RESOURCE_EXHAUSTED, false, false))
        .isEqualTo(FerryError.UPSTREAM_INVALID);
    assertThat(StatusMarking.sidecarError(Status.Code.INTERNAL, false, false))
        .isEqualTo(FerryError.UPSTREAM_INVALID);
    assertThat(StatusMarking.sidecarError(Status.Code.UNKNOWN, false, false))
        .isEqualTo(FerryError.UPSTREAM_INVALID);
  }

  @Test
  void describesSidecarErrorsWithoutGrpcJavasText() {
    assertThat(
            StatusMarking.detail(
                FerryError.TIMEOUT, Status.Code.DEADLINE_EXCEEDED, 1500, 1024, false))
        .isEqualTo("the service did not answer within 1500 ms");
    assertThat(
            StatusMarking.detail(
                FerryError.UPSTREAM_UNAVAILABLE, Status.Code.UNAVAILABLE, 1500, 1024, true))
        .isEqualTo("the server sidecar is stopping");
    assertThat(
            StatusMarking.detail(
                FerryError.UPSTREAM_UNAVAILABLE, Status.Code.UNAVAILABLE, 1500, 1024, false))
        .isEqualTo("the service could not be reached or reset the call (UNAVAILABLE)");
    assertThat(
            StatusMarking.detail(
                FerryError.UPSTREAM_INVALID, Status.Code.RESOURCE_EXHAUSTED, 1500, 1024, false))
        .isEqualTo("a response message is larger than --max-body-size (1024 bytes)");
  }

  @Test
  void marksAStatusWithTheErrorsCodeAndTrailer() {
    GrpcStatus status = StatusMarking.marked(FerryError.PROTOCOL_ERROR, "frame 3 out of order");

    assertThat(status.code()).isEqualTo(Status.Code.INTERNAL.value());
    assertThat(status.message()).isEqualTo("ferry: protocol-error: frame 3 out of order");
    assertThat(status.trailers()).containsExactly(new Header("ferry-error", "protocol-error"));
  }
}
