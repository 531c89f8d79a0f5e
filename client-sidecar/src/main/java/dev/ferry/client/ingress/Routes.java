package dev.ferry.client.ingress;

import dev.ferry.protocol.Topology;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which Ferry service a request goes to: by gRPC service name ({@code grpc:pkg.Service=svc}), by
 * HTTP Host ({@code host:api.example.com=svc}) or by HTTP path prefix ({@code path:/orders=svc}),
 * else the default service; null when there is none.
 *
 * @param defaultService the service for requests no route names; null for none
 */
public record Routes(
    String defaultService,
    Map<String, String> grpcServices,
    Map<String, String> hosts,
    List<PathRoute> paths) {

  /** A path prefix and its service. */
  public record PathRoute(String prefix, String service) {}

  public Routes {
    grpcServices = Map.copyOf(grpcServices);
    hosts = Map.copyOf(hosts);
    List<PathRoute> sorted = new ArrayList<>(paths);
    sorted.sort(Comparator.comparingInt((PathRoute route) -> route.prefix().length()).reversed());
    paths = List.copyOf(sorted);
  }

  /** Every request to {@code service}. */
  public static Routes to(String service) {
    return new Routes(service, Map.of(), Map.of(), List.of());
  }

  /**
   * Parses route entries ({@code kind:key=service}); throws {@link IllegalArgumentException} naming
   * the entry and the expected form.
   */
  public static Routes parse(String defaultService, List<String> entries) {
    Map<String, String> grpc = new LinkedHashMap<>();
    Map<String, String> hosts = new LinkedHashMap<>();
    List<PathRoute> paths = new ArrayList<>();
    for (String entry : entries) {
      int colon = entry.indexOf(':');
      int equals = entry.lastIndexOf('=');
      if (colon <= 0 || equals <= colon + 1 || equals == entry.length() - 1) {
        throw new IllegalArgumentException(
            "'"
                + entry
                + "' (expected: grpc:pkg.Service=svc, "
                + "host:HOST=svc or path:/PREFIX=svc)");
      }
      String kind = entry.substring(0, colon);
      String key = entry.substring(colon + 1, equals);
      String service = Topology.checkServiceName(entry.substring(equals + 1));
      switch (kind) {
        case "grpc" -> grpc.put(key, service);
        case "host" -> hosts.put(key.toLowerCase(Locale.ROOT), service);
        case "path" -> {
          if (!key.startsWith("/")) {
            throw new IllegalArgumentException(
                "'" + entry + "' (expected: a path prefix starting with /)");
          }
          paths.add(new PathRoute(key, service));
        }
        default ->
            throw new IllegalArgumentException(
                "'" + entry + "' (expected: a route kind of grpc, host or path)");
      }
    }
    return new Routes(defaultService, grpc, hosts, paths);
  }

  /** The service for gRPC service {@code serviceName} ({@code pkg.Service}); null when none. */
  public String forGrpc(String serviceName) {
    return serviceName == null
        ? defaultService
        : grpcServices.getOrDefault(serviceName, defaultService);
  }

  /** The service for an HTTP request to {@code host} (may carry a port) and {@code target}. */
  public String forHttp(String host, String target) {
    if (host != null && !hosts.isEmpty()) {
      String name = host.toLowerCase(Locale.ROOT);
      int port = name.lastIndexOf(':');
      if (port > 0 && name.indexOf(']') < port) {
        name = name.substring(0, port);
      }
      String service = hosts.get(name);
      if (service != null) {
        return service;
      }
    }
    for (PathRoute route : paths) {
      if (target.startsWith(route.prefix())) {
        return route.service();
      }
    }
    return defaultService;
  }
}
