package dev.ferry.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * HTTP/1.1 from the caller's side: java.net.http for ordinary calls, a raw socket for bad input.
 */
final class Http {
  static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private Http() {}

  static HttpRequest.Builder request(int port, String target) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target))
        .timeout(Duration.ofSeconds(30));
  }

  static HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
    return CLIENT.send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  static HttpResponse<String> get(int port, String target)
      throws IOException, InterruptedException {
    return CLIENT.send(request(port, target).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Writes {@code raw} on a new connection and returns everything read until the peer closes. */
  static String raw(int port, byte[] raw) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(raw);
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream read = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      int n;
      try {
        while ((n = in.read(buffer)) >= 0) {
          read.write(buffer, 0, n);
        }
      } catch (java.net.SocketException e) {
        // Reset after the response: what arrived is what we check.
      }
      return read.toString(StandardCharsets.ISO_8859_1);
    }
  }

  static String raw(int port, String raw) throws IOException {
    return raw(port, raw.getBytes(StandardCharsets.ISO_8859_1));
  }
}
