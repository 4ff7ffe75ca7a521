/**
 * Whether an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). A file of its own so that the CLI can ask
 * without loading tracing.ts, whose OpenTelemetry SDK and exporter are some 200
 * modules, a tenth of what a start loads.
 */
export function tracingEnabled(env: Record<string, string | undefined>): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}
