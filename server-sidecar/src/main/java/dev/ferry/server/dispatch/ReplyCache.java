package dev.ferry.server.dispatch;

import dev.ferry.protocol.ResponseEnvelope;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The replies this server sidecar sent recently, by request message id, so that a request the
 * broker delivers again (or a client publishes again) gets the same reply without the service
 * running twice. An entry lives until its request's deadline (after it the broker drops the request
 * and the sidecar skips it anyway); the cache holds at most {@code maxEntries} replies and {@code
 * maxBytes} of bodies, dropping the oldest first. Thread-safe.
 */
final class ReplyCache {
  private final int maxEntries;
  private final long maxBytes;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
  private long bytes;

  private record Entry(ResponseEnvelope reply, long expiresAtMillis) {}

  ReplyCache(int maxEntries, long maxBytes) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** Remembers {@code reply} to the request {@code messageId} until {@code expiresAtMillis}. */
  synchronized void put(String messageId, ResponseEnvelope reply, long expiresAtMillis) {
    if (maxEntries == 0 || reply.body().length > maxBytes) {
      return;
    }
    Entry previous = entries.put(messageId, new Entry(reply, expiresAtMillis));
    if (previous != null) {
      bytes -= previous.reply().body().length;
    }
    bytes += reply.body().length;
    Iterator<Map.Entry<String, Entry>> oldest = entries.entrySet().iterator();
    while ((entries.size() > maxEntries || bytes > maxBytes) && oldest.hasNext()) {
      bytes -= oldest.next().getValue().reply().body().length;
      oldest.remove();
    }
  }

  /** The reply sent to request {@code messageId}, or null when none is remembered (any more). */
  synchronized ResponseEnvelope get(String messageId, long nowMillis) {
    Entry entry = entries.get(messageId);
    if (entry == null) {
      return null;
    }
    if (entry.expiresAtMillis() < nowMillis) {
      entries.remove(messageId);
      bytes -= entry.reply().body().length;
      return null;
    }
    return entry.reply();
  }

  synchronized int size() {
    return entries.size();
  }
}
