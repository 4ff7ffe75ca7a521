/**
 * OpenTelemetry traces, when an OTLP endpoint is configured
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, read
 * with the exporter's other OTEL_* settings by the exporter itself): spans
 * go over OTLP/HTTP (JSON) in batches. Fedify traces what it does (inbox,
 * dispatchers, deliveries, fetches) through the provider given to
 * createFederation; W3C trace context is read from and sent with requests.
 * Loaded only when tracing is on (tracing-enabled.ts).
 */
import { context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { SOFTWARE } from "../version.ts";

export interface Tracing {
  provider: BasicTracerProvider;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** `url`: the traces endpoint itself (tests); otherwise the exporter reads OTEL_* from the environment. */
export function startTracing(options: { url?: string; serviceName?: string } = {}): Tracing {
  // Spans nest across awaits only with a context manager; incoming traceparent headers need a propagator.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const exporter = new OTLPTraceExporter(options.url ? { url: options.url } : {});
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": options.serviceName ?? (process.env.OTEL_SERVICE_NAME || SOFTWARE.name),
      "service.version": SOFTWARE.version,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return { provider, shutdown: () => provider.shutdown() };
}
