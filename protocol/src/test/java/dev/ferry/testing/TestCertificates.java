package dev.ferry.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI made with {@code openssl} at test time, valid for two days: a CA, a server
 * certificate that names {@code localhost} only (so that {@code 127.0.0.1} fails host name
 * verification), and client certificates whose common name is a RabbitMQ user. Keys are unencrypted
 * PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), as Ferry's {@code --amqp-key-file} takes.
 */
public final class TestCertificates {
  private final Path dir;
  private final Path caFile;
  private final Path caKey;
  private final Path serverCertFile;
  private final Path serverKeyFile;

  private TestCertificates(Path dir) {
    this.dir = dir;
    this.caFile = dir.resolve("ca.pem");
    this.caKey = dir.resolve("ca.key");
    this.serverCertFile = dir.resolve("server.pem");
    this.serverKeyFile = dir.resolve("server.key");
  }

  /** A client certificate and its key. */
  public record Client(Path certFile, Path keyFile) {}

  /** Whether {@code openssl} can be run. */
  public static boolean opensslAvailable() {
    try {
      Process process = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Makes a new CA and a server certificate for {@code localhost} in {@code dir}. */
  public static TestCertificates create(Path dir) throws IOException {
    Files.createDirectories(dir);
    TestCertificates pki = new TestCertificates(dir);
    String name = "ferry-test-ca-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    openssl(
        dir,
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=" + name,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        pki.caKey.toString(),
        "-out",
        pki.caFile.toString());
    pki.sign(
        "localhost",
        "rsa",
        "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
        pki.serverCertFile,
        pki.serverKeyFile);
    return pki;
  }

  /** A client certificate with common name {@code commonName}; {@code keyType} rsa or ec. */
  public Client client(String commonName, String keyType) throws IOException {
    Path cert = dir.resolve("client-" + commonName + "-" + keyType + ".pem");
    Path key = dir.resolve("client-" + commonName + "-" + keyType + ".key");
    sign(commonName, keyType, "extendedKeyUsage=clientAuth\n", cert, key);
    return new Client(cert, key);
  }

  /** The CA certificate (PEM), to trust. */
  public Path caFile() {
    return caFile;
  }

  public Path serverCertFile() {
    return serverCertFile;
  }

  public Path serverKeyFile() {
    return serverKeyFile;
  }

  private void sign(String commonName, String keyType, String extensions, Path cert, Path key)
      throws IOException {
    Path request = dir.resolve(commonName + "-" + keyType + ".csr");
    Path extensionFile = dir.resolve(commonName + "-" + keyType + ".ext");
    Files.writeString(extensionFile, extensions, StandardCharsets.US_ASCII);
    List<String> newKey =
        keyType.equals("ec")
            ? List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")
            : List.of("-newkey", "rsa:2048");
    List<String> req = new ArrayList<>(List.of("req"));
    req.addAll(newKey);
    req.addAll(
        List.of(
            "-nodes",
            "-subj",
            "/CN=" + commonName,
            "-keyout",
            key.toString(),
            "-out",
            request.toString()));
    openssl(dir, req.toArray(String[]::new));
    openssl(
        dir,
        "x509",
        "-req",
        "-in",
        request.toString(),
        "-CA",
        caFile.toString(),
        "-CAkey",
        caKey.toString(),
        "-set_serial",
        Long.toString(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE)),
        "-days",
        "2",
        "-extfile",
        extensionFile.toString(),
        "-out",
        cert.toString());
  }

  private static void openssl(Path dir, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IOException("openssl " + args[0] + " failed: " + output);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
