package dev.ferry.common;

import dev.ferry.common.Cli.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds the TLS context of the broker connection from PEM files, with JDK classes only: the CA
 * bundle to trust ({@code --amqp-ca-file}; the JDK's trust store without it) and the client
 * certificate chain with its unencrypted PKCS#8 RSA or EC key ({@code --amqp-cert-file}, {@code
 * --amqp-key-file}). Every problem is a {@link ConfigException} naming the flag and the file, never
 * the file's content. TLS 1.3 and 1.2 only.
 */
final class BrokerTls {
  /** The protocols the connection may negotiate. */
  static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private static final Pattern PRIVATE_KEY =
      Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

  private BrokerTls() {}

  /**
   * A client TLS context trusting the certificates in {@code caFile} (the JDK's trust store when
   * null) and presenting {@code certFile} with {@code keyFile} (no client certificate when null).
   */
  static SSLContext context(Path caFile, Path certFile, Path keyFile) {
    KeyManager[] keyManagers = certFile == null ? null : keyManagers(certFile, keyFile);
    TrustManager[] trustManagers = trustManagers(caFile);
    try {
      // "TLSv1.3" also speaks 1.2; restrictProtocols keeps older versions off.
      SSLContext context = SSLContext.getInstance("TLSv1.3");
      context.init(keyManagers, trustManagers, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new ConfigException("--amqp-uri: cannot set up TLS: " + e.getMessage());
    }
  }

  /** Limits {@code socket} to {@link #PROTOCOLS}; any other socket is left as it is. */
  static void restrictProtocols(Socket socket) {
    if (socket instanceof SSLSocket ssl) {
      ssl.setEnabledProtocols(PROTOCOLS);
    }
  }

  /** The JDK's trust store's managers when {@code caFile} is null. */
  private static TrustManager[] trustManagers(Path caFile) {
    try {
      KeyStore store = null;
      if (caFile != null) {
        store = emptyStore();
        int index = 0;
        for (X509Certificate certificate : certificates("--amqp-ca-file", caFile)) {
          store.setCertificateEntry("ca-" + index++, certificate);
        }
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory.getTrustManagers();
    } catch (GeneralSecurityException e) {
      // The JDK's message, about its key store: no file content.
      throw new ConfigException("--amqp-ca-file: " + caFile + ": cannot use it: " + e.getMessage());
    }
  }

  private static KeyManager[] keyManagers(Path certFile, Path keyFile) {
    List<X509Certificate> chain = certificates("--amqp-cert-file", certFile);
    try {
      chain.get(0).checkValidity();
    } catch (CertificateException e) {
      throw new ConfigException(
          "--amqp-cert-file: "
              + certFile
              + ": the certificate is not valid now (valid "
              + chain.get(0).getNotBefore().toInstant()
              + " to "
              + chain.get(0).getNotAfter().toInstant()
              + ")");
    }
    PrivateKey key = privateKey(keyFile);
    if (!matches(key, chain.get(0).getPublicKey())) {
      throw new ConfigException(
          "--amqp-key-file: " + keyFile + ": not the key of the certificate in " + certFile);
    }
    try {
      KeyStore store = emptyStore();
      store.setKeyEntry("client", key, new char[0], chain.toArray(X509Certificate[]::new));
      KeyManagerFactory factory =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, new char[0]);
      return factory.getKeyManagers();
    } catch (GeneralSecurityException e) {
      // The JDK's message, about its key store: no key material.
      throw new ConfigException(
          "--amqp-cert-file: " + certFile + ": cannot use it: " + e.getMessage());
    }
  }

  /** The certificates in a PEM (or DER) file, in file order; at least one. */
  static List<X509Certificate> certificates(String flag, Path file) {
    List<X509Certificate> certificates = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      factory.generateCertificates(in).forEach(c -> certificates.add((X509Certificate) c));
    } catch (IOException e) {
      throw new ConfigException(flag + ": cannot read " + file + " (" + describe(e) + ")");
    } catch (CertificateException e) {
      throw new ConfigException(flag + ": " + file + ": not a PEM certificate file");
    }
    if (certificates.isEmpty()) {
      throw new ConfigException(flag + ": " + file + ": holds no certificate");
    }
    return certificates;
  }

  /** The unencrypted PKCS#8 RSA or EC key in a PEM file ({@code BEGIN PRIVATE KEY}). */
  static PrivateKey privateKey(Path file) {
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new ConfigException("--amqp-key-file: cannot read " + file + " (" + describe(e) + ")");
    }
    Matcher matcher = PRIVATE_KEY.matcher(pem);
    if (!matcher.find()) {
      throw new ConfigException(
          "--amqp-key-file: "
              + file
              + ": no unencrypted PKCS#8 key (expected: -----BEGIN PRIVATE KEY-----; convert with"
              + " openssl pkcs8 -topk8 -nocrypt)");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(matcher.group(1));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--amqp-key-file: " + file + ": bad base64 in the PEM block");
    }
    for (String algorithm : new String[] {"RSA", "EC"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (InvalidKeySpecException e) {
        // Not this algorithm's key: try the next one.
      } catch (GeneralSecurityException e) {
        throw new ConfigException("--amqp-key-file: " + file + ": " + e.getMessage());
      }
    }
    throw new ConfigException(
        "--amqp-key-file: " + file + ": not an RSA or EC key (expected: PKCS#8, RSA or EC)");
  }

  /** Whether {@code key} signs what {@code publicKey} verifies: the pair belongs together. */
  private static boolean matches(PrivateKey key, PublicKey publicKey) {
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    String algorithm = "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
    try {
      byte[] probe = "ferry key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static KeyStore emptyStore() throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot create an in-memory key store", e);
    }
    return store;
  }

  private static String describe(IOException e) {
    return e.getClass().getSimpleName();
  }
}
