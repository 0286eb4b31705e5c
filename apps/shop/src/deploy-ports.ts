/** Ports the container images use (deploy/kubernetes); the manifest test checks the manifests agree. */
export const DEPLOY_PORTS = Object.freeze({
  /** gRPC of every shop service replica (SHOP_PORT). */
  grpcPort: 50051,
  /** Prometheus /metrics of every replica (SHOP_METRICS_PORT). */
  metricsPort: 9464,
  /** The gateway's HTTP API and dashboard (SHOP_HTTP_PORT). */
  httpPort: 8080,
});
