package dev.ferry.loadtest.bench;

import dev.ferry.loadtest.load.Outcome;
import dev.ferry.loadtest.load.Transport;
import dev.ferry.loadtest.rawrpc.RawRpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/** The raw RabbitMQ RPC baseline ({@link RawRpc}) as a load {@link Transport}. */
final class RawRpcTransport implements Transport {
  private final RawRpc rpc;

  RawRpcTransport(RawRpc rpc) {
    this.rpc = rpc;
  }

  @Override
  public CompletableFuture<Outcome> call(byte[] body) {
    try {
      return rpc.call(body)
          .handle(
              (reply, failure) ->
                  failure != null
                      ? Outcome.error("amqp")
                      : reply.length == body.length ? Outcome.OK : Outcome.error("wrong-reply"));
    } catch (IOException e) {
      return CompletableFuture.completedFuture(Outcome.error("amqp-publish"));
    }
  }

  @Override
  public void close() {
    try {
      rpc.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
