package dev.ferry.client.ingress;

import dev.ferry.client.Caller;
import dev.ferry.client.FerryCall;
import dev.ferry.protocol.ResponseEnvelope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Caller} that records every call and leaves its future for the test to complete, in any
 * order and on any thread. Not thread-safe: calls are made on the channel's (test) thread.
 */
final class RecordingCaller implements Caller {
  final List<FerryCall> calls = new ArrayList<>();
  private final List<CompletableFuture<ResponseEnvelope>> replies = new ArrayList<>();

  @Override
  public CompletableFuture<ResponseEnvelope> call(FerryCall call) {
    CompletableFuture<ResponseEnvelope> reply = new CompletableFuture<>();
    calls.add(call);
    replies.add(reply);
    return reply;
  }

  FerryCall call(int index) {
    return calls.get(index);
  }

  CompletableFuture<ResponseEnvelope> reply(int index) {
    return replies.get(index);
  }
}
