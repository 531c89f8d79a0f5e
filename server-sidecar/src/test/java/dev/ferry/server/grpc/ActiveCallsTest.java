package dev.ferry.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.protocol.GrpcFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A call and its cancel never miss each other, however they race. */
class ActiveCallsTest {
  private final ActiveCalls calls = new ActiveCalls();

  @Test
  void skipsACallCancelledBeforeItWasTaken() {
    calls.deliver(GrpcFrame.of("c1", 0).withCancel());

    assertThat(calls.addUnlessCancelled("c1", new RecordingCall())).isFalse();
    assertThat(calls.size()).isZero();
    assertThat(calls.addUnlessCancelled("c1", new RecordingCall())).isTrue(); // Used up.
  }

  @Test
  void deliversFramesAndReturnsToTheCallTheyBelongTo() {
    RecordingCall call = new RecordingCall();
    RecordingCall other = new RecordingCall();
    calls.addUnlessCancelled("c1", call);
    calls.addUnlessCancelled("c2", other);

    calls.deliver(GrpcFrame.of("c1", 0).withMessage(new byte[] {1}));
    calls.deliver(GrpcFrame.of("c1", 1).withCancel());
    calls.returned("c1");
    calls.returned("an-http-request");

    assertThat(call.events).containsExactly("frame 0", "frame 1 cancel", "returned");
    assertThat(other.events).isEmpty();
    assertThat(calls.unknownFrames()).isZero();
  }

  @Test
  void countsAndDropsFramesOfCallsNotRunningHere() {
    calls.deliver(GrpcFrame.of("gone", 3).withMessage(new byte[0]));
    calls.deliver(GrpcFrame.of("gone", 4).withHalfClose());
    calls.deliver(GrpcFrame.of("elsewhere", 0).withCancel()); // Remembered, not dropped.

    assertThat(calls.unknownFrames()).isEqualTo(2);
    assertThat(calls.addUnlessCancelled("elsewhere", new RecordingCall())).isFalse();
  }

  @Test
  void removesOnlyTheCallItIsAskedToRemove() {
    RecordingCall firstRun = new RecordingCall();
    RecordingCall secondRun = new RecordingCall();
    calls.addUnlessCancelled("c1", firstRun);
    calls.addUnlessCancelled("c1", secondRun); // The start came back while the first run ended.

    calls.remove("c1", firstRun);
    calls.deliver(GrpcFrame.of("c1", 0).withHalfClose());

    assertThat(secondRun.events).containsExactly("frame 0");
    assertThat(firstRun.events).isEmpty();
    calls.remove("c1", secondRun);
    assertThat(calls.size()).isZero();
  }

  @Test
  void remembersABoundedNumberOfEarlyCancels() {
    for (int i = 0; i <= ActiveCalls.REMEMBERED_CANCELS; i++) {
      calls.deliver(GrpcFrame.of("c" + i, 0).withCancel());
    }

    assertThat(calls.addUnlessCancelled("c0", new RecordingCall())).isTrue(); // Forgotten.
    assertThat(calls.addUnlessCancelled("c1", new RecordingCall())).isFalse();
  }

  @Test
  void neverLosesACancelThatRacesTheCallsStart() throws Exception {
    int rounds = 20_000;
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      CyclicBarrier barrier = new CyclicBarrier(2);
      List<RecordingCall> started = new CopyOnWriteArrayList<>();
      List<Boolean> added = new CopyOnWriteArrayList<>();
      Future<?> consumer =
          threads.submit(
              () -> {
                for (int i = 0; i < rounds; i++) {
                  RecordingCall call = new RecordingCall();
                  await(barrier);
                  boolean taken = calls.addUnlessCancelled("race-" + i, call);
                  added.add(taken);
                  started.add(call);
                }
                return null;
              });
      Future<?> callQueue =
          threads.submit(
              () -> {
                for (int i = 0; i < rounds; i++) {
                  await(barrier);
                  calls.deliver(GrpcFrame.of("race-" + i, 0).withCancel());
                }
                return null;
              });
      consumer.get(60, TimeUnit.SECONDS);
      callQueue.get(60, TimeUnit.SECONDS);

      for (int i = 0; i < rounds; i++) {
        boolean skipped = !added.get(i);
        boolean cancelled = started.get(i).events.contains("frame 0 cancel");
        assertThat(skipped ^ cancelled).as("round %d: skipped or cancelled, once", i).isTrue();
      }
    } finally {
      threads.shutdownNow();
    }
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class RecordingCall implements ActiveCalls.Call {
    final List<String> events = new CopyOnWriteArrayList<>(new ArrayList<>());

    @Override
    public void onClientFrame(GrpcFrame frame) {
      events.add("frame " + frame.seq() + (frame.cancel() ? " cancel" : ""));
    }

    @Override
    public void onReturned() {
      events.add("returned");
    }
  }
}
