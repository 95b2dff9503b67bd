import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { spec } from "@baton/contracts/testing";
import { emit, eventOf, newTraceparent, startStage, traceIdOf, type RunningStage } from "@baton/runtime";
import { captureLogs, openTestRuntime, waitFor, type TestRuntime } from "@baton/runtime/testing";

// One release is one trace: the intake's traceparent travels in every event, each handler runs
// in a span whose parent is its event's traceparent, and the events it emits carry that span.

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => void trace.setGlobalTracerProvider(provider));
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});

let rt: TestRuntime;
const stages: RunningStage[] = [];
beforeEach(async () => {
  rt = await openTestRuntime();
});
afterEach(async () => {
  for (const s of stages.splice(0)) await s.stop();
  await rt.cleanup();
});

const release = { releaseId: "rel-t", app: "web", namespace: "shop" };

describe("tracing across stages", () => {
  test("every event of a release carries the intake's trace id; each handler's span is the parent of what it emits", async () => {
    const logs = captureLogs("trace", "info");
    const traced = { ...rt, log: logs.logger };
    stages.push(
      await startStage({ name: "pod-manager", handlers: { ReleasePlanned: async (ctx) => void (await ctx.emit("PodsLive", { revision: 1, ready: 1, desired: 1 })) } }, traced),
      await startStage({ name: "validator", handlers: { PodsLive: async (ctx) => void (await ctx.emit("ValidationPassed", { revision: 1, checks: [], warmup: null })) } }, traced),
    );
    const traceparent = newTraceparent();
    const traceId = traceIdOf(traceparent);
    await emit(rt, "intake", eventOf(rt, "intake", release, "ReleaseRequested", { spec: spec() }, { traceparent }));
    await emit(rt, "planner", eventOf(rt, "planner", release, "ReleasePlanned", { revision: 1, previousRevision: null, fence: 1 }, { traceparent }));
    await waitFor("promoting", async () => (await rt.store.get("rel-t"))?.state.phase === "promoting");

    const events = await rt.bus.releaseEvents("rel-t");
    expect(events.map((e) => e.name)).toEqual(["ReleaseRequested", "ReleasePlanned", "PodsLive", "ValidationPassed"]);
    expect(new Set(events.map((e) => traceIdOf(e.traceparent)))).toEqual(new Set([traceId]));

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    expect(spans.map((s) => s.name).sort()).toEqual(["pod-manager ReleasePlanned", "validator PodsLive"]);
    const podsLive = events[2]!;
    const podManagerSpan = spans.find((s) => s.name === "pod-manager ReleasePlanned")!;
    expect(podsLive.traceparent?.split("-")[2]).toBe(podManagerSpan.spanContext().spanId);
    const validatorSpan = spans.find((s) => s.name === "validator PodsLive")!;
    expect(validatorSpan.parentSpanContext?.spanId).toBe(podManagerSpan.spanContext().spanId);
    expect(validatorSpan.attributes["baton.release_id"]).toBe("rel-t");
    // and every log line a handler wrote names the trace
    const handled = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.eventId !== undefined);
    expect(handled.length).toBeGreaterThan(0);
    for (const line of handled) expect(line).toMatchObject({ traceId, releaseId: "rel-t", app: "web", namespace: "shop" });
  });
});
