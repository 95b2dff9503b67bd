import { createConnection, createServer, type Server } from "node:net";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CoreV1Api } from "@kubernetes/client-node";
import { startKubeSim, type KubeSim } from "@baton/kube-sim";
import { loadKubeConfig } from "@baton/runtime";

// client-node 1.4 opens a new connection per API call; Baton's kube config reuses them. Counted
// with a TCP relay in front of kube-sim.

let sim: KubeSim;
let relay: Server;
let connections = 0;
let kubeconfig: string;
beforeAll(async () => {
  sim = await startKubeSim();
  const target = new URL(sim.url);
  relay = createServer((client) => {
    connections++;
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
  const port = (relay.address() as { port: number }).port;
  const dir = await mkdtemp(join(tmpdir(), "baton-kube-"));
  kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, sim.kubeconfig().replace(sim.url, `http://127.0.0.1:${port}`));
});
afterAll(async () => {
  relay.close();
  await sim.close();
});

describe("Kubernetes API connections", () => {
  test("twenty sequential API calls share one kept-alive connection", async () => {
    const core = loadKubeConfig({ KUBECONFIG: kubeconfig }).makeApiClient(CoreV1Api);
    for (let i = 0; i < 20; i++) await core.readNamespace({ name: "default" });
    expect(connections).toBeLessThanOrEqual(2);
  });
});
