package dev.ferry.client.ingress;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.Header;
import dev.ferry.protocol.HopByHop;
import dev.ferry.protocol.ResponseEnvelope;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;

/** Turns reply envelopes and sidecar errors into HTTP/1.1 responses. */
final class HttpResponses {
  static final String FERRY_ERROR = "ferry-error";
  static final String FERRY_QUEUE_TIME = "ferry-queue-time";
  static final String RETRY_AFTER_SECONDS = "1";

  private HttpResponses() {}

  /**
   * The response for a reply. A reply to a HEAD request, and a 304, keep the service's
   * Content-Length although they carry no body.
   */
  static FullHttpResponse of(ResponseEnvelope reply, boolean head, boolean keepAlive) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(reply.status()),
            Unpooled.wrappedBuffer(reply.body()));
    HttpHeaders headers = response.headers();
    String carriedLength = null;
    for (Header header : HopByHop.strip(reply.headers())) {
      if (header.name().equalsIgnoreCase("content-length")) {
        carriedLength = header.value();
      } else if (!header.name().equalsIgnoreCase(FERRY_ERROR)
          && !header.name().equalsIgnoreCase(FERRY_QUEUE_TIME)) {
        // A service cannot make its answer look like a sidecar error.
        headers.add(header.name(), header.value());
      }
    }
    int status = reply.status();
    boolean bodiless = status < 200 || status == 204 || status == 304;
    if ((head || status == 304) && reply.body().length == 0 && carriedLength != null) {
      headers.set(HttpHeaderNames.CONTENT_LENGTH, carriedLength);
    } else if (!bodiless) {
      headers.setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    }
    if (reply.error() != null) {
      headers.set(FERRY_ERROR, reply.error().code());
      // Both pass (too many pending calls; broker away or blocked by a resource alarm): a hint.
      if (reply.error() == FerryError.OVERLOADED
          || reply.error() == FerryError.BROKER_UNAVAILABLE) {
        headers.set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
      }
    }
    if (reply.queueMillis() >= 0) {
      headers.set(FERRY_QUEUE_TIME, Long.toString(reply.queueMillis()));
    }
    if (!keepAlive) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return response;
  }

  /** 404 for a request that no route names: nothing was published. */
  static FullHttpResponse noRoute(String target, boolean keepAlive) {
    FullHttpResponse response =
        error(FerryError.NO_ROUTE, "no route for " + target.split("\\?", 2)[0], keepAlive);
    response.setStatus(HttpResponseStatus.NOT_FOUND);
    return response;
  }

  /**
   * 408 for a request that did not arrive whole within {@code readTimeout}: {@code bad-request}
   * with its own status, as {@code no-route} has 404; nothing was published.
   */
  static FullHttpResponse requestTimeout(Duration readTimeout) {
    FullHttpResponse response =
        error(
            FerryError.BAD_REQUEST,
            "request not received within " + readTimeout.toMillis() + "ms",
            false);
    response.setStatus(HttpResponseStatus.REQUEST_TIMEOUT);
    return response;
  }

  /** A sidecar error made at the HTTP front end, before anything was published. */
  static FullHttpResponse error(FerryError error, String detail, boolean keepAlive) {
    return of(ResponseEnvelope.ofError("", error, detail, -1), false, keepAlive);
  }
}
