package dev.ferry.client.ingress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One HTTP/1.1 response as it was written on the wire: the status, the header fields in order and
 * the body (ISO-8859-1 text). Parsed strictly enough to show framing errors: a body is exactly as
 * long as Content-Length says, and whatever follows must be the next response.
 */
record WireResponse(int status, List<Map.Entry<String, String>> headers, String body) {

  /** The first value of header {@code name} (any case), or {@code null}. */
  String header(String name) {
    for (Map.Entry<String, String> header : headers) {
      if (header.getKey().equalsIgnoreCase(name)) {
        return header.getValue();
      }
    }
    return null;
  }

  boolean has(String name) {
    return header(name) != null;
  }

  /** Reads consecutive responses off a string of bytes written by the channel. */
  static final class Reader {
    private String wire;

    Reader(String wire) {
      this.wire = wire;
    }

    /** The next response, its body delimited by Content-Length (none for 1xx, 204, 304). */
    WireResponse next() {
      return read(false);
    }

    /** The next response to a HEAD request: never a body, whatever Content-Length says. */
    WireResponse nextToHead() {
      return read(true);
    }

    /** What is left after the responses read so far. */
    String rest() {
      return wire;
    }

    private WireResponse read(boolean head) {
      int end = wire.indexOf("\r\n\r\n");
      if (end < 0) {
        throw new AssertionError("no complete response head in: " + wire);
      }
      String[] lines = wire.substring(0, end).split("\r\n");
      String[] statusLine = lines[0].split(" ", 3);
      if (!statusLine[0].equals("HTTP/1.1")) {
        throw new AssertionError("not an HTTP/1.1 status line: " + lines[0]);
      }
      int status = Integer.parseInt(statusLine[1]);
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      String contentLength = null;
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        String name = lines[i].substring(0, colon);
        String value = lines[i].substring(colon + 1).trim();
        headers.add(Map.entry(name, value));
        if (name.equalsIgnoreCase("content-length")) {
          contentLength = value;
        }
      }
      boolean bodiless = head || status < 200 || status == 204 || status == 304;
      int length = bodiless || contentLength == null ? 0 : Integer.parseInt(contentLength);
      int bodyStart = end + 4;
      if (wire.length() < bodyStart + length) {
        throw new AssertionError("body shorter than content-length " + length + ": " + wire);
      }
      String body = wire.substring(bodyStart, bodyStart + length);
      wire = wire.substring(bodyStart + length);
      return new WireResponse(status, headers, body);
    }
  }
}
