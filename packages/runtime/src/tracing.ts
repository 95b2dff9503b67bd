import { context, propagation, trace, SpanKind, SpanStatusCode, type Context, type Span } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

// Tracing: the W3C traceparent of the intake request travels in every event, so one release is
// one trace across the five services. Each handler runs in a span whose parent is the event's
// traceparent, and the events it emits carry that span's context. Spans are recorded and exported
// only when an OTLP endpoint is configured by the standard OTEL_* variables (see startTracing);
// otherwise the API's no-op tracer still carries the trace id from event to event.

propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const TRACER = "baton";
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The trace id of a traceparent header, or undefined when it is not one. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent === undefined ? undefined : TRACEPARENT.exec(traceparent)?.[1];
}

const TRACEPARENT_ANY_VERSION = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** True for a well-formed traceparent whose ids are not all zeros (W3C: such ids are invalid). */
export function isTraceparent(value: string | undefined): value is string {
  if (value === undefined || !TRACEPARENT_ANY_VERSION.test(value)) return false;
  const [version, trace, span] = value.split("-");
  return version !== "ff" && trace !== "0".repeat(32) && span !== "0".repeat(16);
}

/** The first valid traceparent among the candidates (the caller's trace continues), or a new trace. */
export function continueTrace(...candidates: (string | undefined)[]): string {
  return candidates.find(isTraceparent) ?? newTraceparent();
}

/** A fresh traceparent: a new trace, sampled. */
export function newTraceparent(): string {
  const hex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `00-${hex(16)}-${hex(8)}-01`;
}

function contextOf(traceparent: string | undefined): Context {
  if (traceparent === undefined) return context.active();
  return propagation.extract(context.active(), { traceparent });
}

/** The traceparent to put on what a span causes (the span's own context). */
export function traceparentOf(span: Span): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return carrier.traceparent;
}

/**
 * Runs `fn` in a span that continues the trace of `traceparent`. The span ends with fn; a throw
 * marks it as an error. fn gets the traceparent its effects should carry.
 */
export async function inSpan<T>(
  name: string,
  traceparent: string | undefined,
  attributes: Record<string, string | number>,
  fn: (traceparent: string | undefined) => Promise<T>,
): Promise<T> {
  const parent = contextOf(traceparent);
  const span = trace.getTracer(TRACER).startSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(traceparentOf(span) ?? traceparent));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Turns on span export when the environment asks for it, the OpenTelemetry way: an OTLP endpoint
 * in OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT, and OTEL_TRACES_EXPORTER
 * not "none". OTEL_SERVICE_NAME names the service (default baton-<name>). Off by default.
 */
export async function startTracing(name: string, env: Record<string, string | undefined> = process.env): Promise<Tracing> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined || endpoint === "" || env.OTEL_TRACES_EXPORTER === "none") return { shutdown: async () => {} };
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME ?? `baton-${name}` }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
