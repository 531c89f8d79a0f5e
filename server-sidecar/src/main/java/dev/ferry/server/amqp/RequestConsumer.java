package dev.ferry.server.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.recovery.AutorecoveringChannel;
import dev.ferry.common.AmqpChannels;
import dev.ferry.common.Topologies;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.Topology;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code ferry.req.<service>} with manual acks and a prefetch of {@code concurrency}, and
 * hands each delivery on at once, as long as fewer than {@code concurrency} are unsettled: a
 * consumer registered anew gets a fresh prefetch while those of the cancelled one may still run, so
 * {@link DeliverySlots} keeps the rest waiting. Owns the consuming channel; acks and requeues are
 * written through the {@link AmqpWriter}'s thread.
 *
 * <p>Keeps consuming on its own: when the broker cancels the consumer (the queue was deleted) or
 * closes the channel with a channel-level error, it is not consuming (readiness says so) until a
 * thread of its own ({@code ferry-consumer}, which also hands on deliveries that waited for a
 * place) has declared the queue again and consumed anew, on a new channel if need be, retrying
 * every second.
 *
 * <p>How many requests it takes at once follows its {@linkplain #intake intake}: the prefetch it
 * asks for (the concurrency, fewer while a circuit is half-open or {@code --max-requests} allows
 * fewer) or none (while one is open: the consumer is cancelled, so that other replicas take the
 * requests; and once {@code --max-requests} are taken). A change re-registers the consumer on the
 * writer thread; deliveries already taken are settled as usual.
 */
public final class RequestConsumer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(RequestConsumer.class);
  private static final long RESTART_RETRY_MILLIS = 1_000;

  /** How long {@link #stop()} waits for the broker to confirm the cancel. */
  public static final long CANCEL_TIMEOUT_MILLIS = 5_000;

  private final Connection connection;
  private final String service;
  private final QueueType queueType;
  private final String queue;
  private final int concurrency;
  private final AmqpWriter writer;
  private final ScheduledExecutorService restarter;
  private volatile Channel channel;
  private volatile Consumer<Delivery> handler;
  private volatile DeliverySlots slots;
  private volatile Subscription subscription;
  private volatile boolean stopping;
  private volatile IntSupplier intake;

  /** Opens the consuming channel; nothing is consumed before {@link #start}. */
  public RequestConsumer(
      Connection connection,
      String service,
      QueueType queueType,
      int concurrency,
      AmqpWriter writer)
      throws IOException {
    this.connection = connection;
    this.service = service;
    this.queueType = queueType;
    this.queue = Topology.requestQueue(service);
    this.concurrency = concurrency;
    this.writer = writer;
    this.restarter =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "ferry-consumer");
              thread.setDaemon(true);
              return thread;
            });
    this.channel = openChannel();
  }

  /**
   * Starts consuming; every delivery goes to {@code handler} on a consumer thread, or, if it had to
   * wait for a place, on this consumer's own thread.
   */
  public void start(Consumer<Delivery> handler) throws IOException {
    this.slots = new DeliverySlots(concurrency, restarter, handler);
    this.handler = handler;
    if (prefetch() > 0) {
      subscribe();
    }
  }

  /**
   * Sets what decides the prefetch: {@code prefetch} answers how many requests to take at once, 0
   * for none; by default the concurrency. Call {@link #intakeChanged()} when its answer changes.
   */
  public void intake(IntSupplier prefetch) {
    this.intake = prefetch;
  }

  /** The intake's answer changed: consumes accordingly, soon, on the writer thread. */
  public void intakeChanged() {
    writer.execute(this::applyIntake);
  }

  private int prefetch() {
    IntSupplier current = intake;
    return current == null ? concurrency : current.getAsInt();
  }

  /** On the writer thread: consumes with the prefetch the intake wants now, or not at all. */
  private void applyIntake() {
    if (stopping || handler == null) {
      return;
    }
    int wanted = prefetch();
    Subscription current = subscription;
    if (current != null && current.prefetch == wanted) {
      return;
    }
    if (current != null) {
      subscription = null;
      cancelQuietly(current);
    }
    if (wanted == 0) {
      logger.info("stopped consuming (circuit open or --max-requests taken) queue={}", queue);
      return;
    }
    try {
      subscribe();
    } catch (IOException | RuntimeException e) {
      logger.debug("consuming again failed, retrying cause={}", e.toString());
      restartLater(RESTART_RETRY_MILLIS);
    }
  }

  /**
   * Cancels the consumer, also while the channel is closed: amqp-client's recovering channel
   * forgets the consumer first (else a connection recovery would bring it back, consuming while
   * nobody wants it and beyond anyone's reach), then sends the cancel, which fails on a closed
   * channel.
   */
  private static void cancel(Subscription subscription) throws IOException {
    subscription.getChannel().basicCancel(subscription.getConsumerTag());
  }

  private static void cancelQuietly(Subscription subscription) {
    try {
      cancel(subscription);
    } catch (IOException | ShutdownSignalException e) {
      logger.debug("cancelling consumer failed cause={}", e.toString());
    }
  }

  private Channel openChannel() throws IOException {
    Channel opened = connection.createChannel();
    if (opened == null) {
      throw new IOException("no free channel number");
    }
    opened.basicQos(concurrency);
    opened.addShutdownListener(cause -> channelLost(opened, cause));
    return opened;
  }

  /** Registers a consumer, on a new channel if the old one is closed for good. */
  private void subscribe() throws IOException {
    Channel current = channel;
    if (!current.isOpen()) {
      release(current);
      current = openChannel();
      channel = current;
    }
    int prefetch = prefetch();
    if (prefetch <= 0) {
      return; // Paused meanwhile (and basic.qos 0 would mean no limit at all).
    }
    current.basicQos(prefetch); // Applies to the consumers registered from now on.
    Subscription fresh = new Subscription(current, prefetch);
    subscription = fresh;
    try {
      current.basicConsume(queue, false, fresh);
    } catch (IOException | RuntimeException e) {
      subscription = null;
      throw e;
    }
    logger.info("consuming queue={} prefetch={}", queue, prefetch);
  }

  /**
   * Lets go of {@code closed}, a channel being replaced: cancels the consumer registered on it and
   * aborts it. amqp-client forgets a channel and its consumers only when the application cancels,
   * closes or aborts them; one the broker closed would otherwise be reopened, consumer included, on
   * the next connection recovery: an orphan consumer beside the new one, beyond anyone's reach.
   */
  private void release(Channel closed) {
    Subscription old = subscription;
    if (old != null && old.getChannel() == closed) {
      subscription = null;
      try {
        cancelQuietly(old); // Forgets the recorded consumer even on a closed channel.
      } catch (RuntimeException e) {
        logger.debug("cancelling consumer failed cause={}", e.toString());
      }
      old.cancelOk.complete(null);
    }
    AmqpChannels.abort(closed);
  }

  /** One registration of a consumer on one channel; settles deliveries on that channel. */
  private final class Subscription extends DefaultConsumer {
    final CompletableFuture<Void> cancelOk = new CompletableFuture<>();
    final int prefetch;

    Subscription(Channel channel, int prefetch) {
      super(channel);
      this.prefetch = prefetch;
    }

    @Override
    public void handleDelivery(
        String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      slots.accept(
          getChannel(),
          new Delivery(
              properties,
              body,
              envelope.isRedeliver(),
              System.currentTimeMillis(),
              settler(getChannel(), envelope.getDeliveryTag())));
    }

    /** Runs after every delivery that came before the cancel has been handed on. */
    @Override
    public void handleCancelOk(String tag) {
      cancelOk.complete(null);
    }

    @Override
    public void handleCancel(String tag) {
      if (subscription == this) {
        subscription = null;
      }
      if (getChannel() instanceof AutorecoveringChannel recovering) {
        // amqp-client forgets a consumer only when the client cancels it; otherwise a connection
        // recovery would bring this one back beside the new one.
        recovering.deleteRecordedConsumer(tag);
      }
      cancelOk.complete(null);
      if (!stopping) {
        logger.warn("broker cancelled the request consumer, consuming again queue={}", queue);
        restartLater(0);
      }
    }

    @Override
    public void handleShutdownSignal(String tag, ShutdownSignalException sig) {
      cancelOk.complete(null);
      logger.debug("request consumer stopped cause={}", sig.getMessage());
    }
  }

  private Delivery.Settler settler(Channel from, long deliveryTag) {
    return new Delivery.Settler() {
      @Override
      public void ack() {
        writer.execute(() -> settle(from, deliveryTag, true));
      }

      @Override
      public void requeue() {
        writer.execute(() -> settle(from, deliveryTag, false));
      }
    };
  }

  private void settle(Channel from, long deliveryTag, boolean ack) {
    try {
      if (ack) {
        from.basicAck(deliveryTag, false);
      } else {
        from.basicNack(deliveryTag, false, true);
      }
    } catch (IOException | ShutdownSignalException e) {
      // The channel is gone: the broker redelivers the request to another consumer.
      logger.debug("settling delivery failed tag={} cause={}", deliveryTag, e.getMessage());
    }
  }

  /** On amqp-client's thread: a channel closed for good is replaced, unless stopping. */
  private void channelLost(Channel lost, ShutdownSignalException cause) {
    DeliverySlots current = slots;
    if (current != null) {
      current.forget(lost); // The broker has put them back in the queue.
    }
    if (cause.isHardError() || stopping || lost != channel) {
      return; // Recovery repairs a connection loss, consumer included.
    }
    logger.warn(
        "broker closed the request channel, consuming again queue={} cause={}",
        queue,
        cause.getMessage());
    restartLater(0);
  }

  private void restartLater(long delayMillis) {
    try {
      restarter.schedule(this::restart, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Closed.
    }
  }

  /** On the restart thread: declares the queue, then consumes on the writer thread. */
  private void restart() {
    if (stopping) {
      return;
    }
    try {
      Topologies.declareRequestQueue(connection, service, queueType);
    } catch (IOException | RuntimeException e) {
      logger.debug("declaring the request queue failed, retrying cause={}", e.toString());
      restartLater(RESTART_RETRY_MILLIS);
      return;
    }
    // On the writer thread, like stop(): so a stop never races a new consumer.
    writer.execute(
        () -> {
          if (stopping || isConsuming() || prefetch() == 0) {
            return;
          }
          try {
            subscribe();
          } catch (IOException | RuntimeException e) {
            logger.debug("consuming again failed, retrying cause={}", e.toString());
            restartLater(RESTART_RETRY_MILLIS);
          }
        });
  }

  /** True while the channel is open and the consumer registered. */
  public boolean isConsuming() {
    return subscription != null && channel.isOpen();
  }

  /**
   * Stops new deliveries (on the writer thread, the channel's one writer) and returns once the
   * broker has confirmed it and every delivery that came before has been handed on or, when it
   * found no free place, returned to the queue; or after 5 s. Those handed on can still be settled.
   */
  public void stop() {
    stop(CANCEL_TIMEOUT_MILLIS);
  }

  /**
   * Like {@link #stop()}, waiting at most {@code waitMillis} (0: not at all, e.g. while the broker
   * blocks the connection and would not read the cancel).
   */
  public void stop(long waitMillis) {
    stopping = true;
    DeliverySlots started = slots;
    if (started != null) {
      started.stop(); // Not started yet: another replica takes them.
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    writer.execute(
        () -> {
          Subscription current = subscription;
          subscription = null;
          if (current == null) {
            done.complete(null);
            return;
          }
          try {
            cancel(current); // Also while the channel is closed: see cancel().
            current.cancelOk.whenComplete((ok, e) -> done.complete(null));
          } catch (IOException | ShutdownSignalException e) {
            logger.debug("cancelling consumer failed cause={}", e.toString());
            done.complete(null);
          }
        });
    if (waitMillis <= 0) {
      return;
    }
    try {
      done.get(waitMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      logger.warn("consumer not cancelled within {} ms, draining anyway", waitMillis);
    } catch (ExecutionException e) {
      logger.debug("cancelling consumer failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Closes the channel: requests not yet acked go back to the queue. */
  @Override
  public void close() {
    stopping = true;
    restarter.shutdownNow();
    AmqpChannels.closeQuietly(channel);
  }
}
