/**
 * The API server a kube-sim API test runs against, from one parameter (envtest's way: the same test
 * body against a real API server by pointing it at another kubeconfig):
 * - BATON_TEST_KUBECONFIG unset: a fresh kube-sim per test file;
 * - BATON_TEST_KUBECONFIG=<admin kubeconfig>: that API server (e.g. the one `scripts/k8s up` starts),
 *   shared, so every test works in namespaces of its own, deleted when the file ends.
 * Tests of what only kube-sim has (its audit, its simulated node, its option knobs) skip there and
 * say why in their name.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { startKubeSim, type KubeSim, type KubeSimOptions } from "@baton/kube-sim";
import { waitFor } from "@baton/runtime/testing";

export const REAL_KUBECONFIG = process.env.BATON_TEST_KUBECONFIG ?? "";
/** True when the tests run against a real API server. */
export const ON_REAL = REAL_KUBECONFIG !== "";

/** The end of a test's name that says why it does not run on a real API server (empty on kube-sim). */
export function simOnly(reason: string): string {
  return ON_REAL ? ` (SKIPPED on a real API server: ${reason})` : "";
}

export interface Target {
  readonly kind: "kube-sim" | "kubernetes";
  readonly kc: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly custom: k8s.CustomObjectsApi;
  readonly ext: k8s.ApiextensionsV1Api;
  /** A kubeconfig file for kubectl. */
  readonly kubeconfigFile: string;
  /** The simulator itself on kube-sim; null on a real API server. */
  readonly sim: KubeSim | null;
  /** A new namespace of the test's own (`<prefix>-<random>`), created. */
  namespace(prefix: string): Promise<string>;
  close(): Promise<void>;
}

export async function openTarget(opts: KubeSimOptions = {}): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), "kube-sim-target-"));
  const sim = ON_REAL ? null : await startKubeSim(opts);
  const kubeconfigFile = ON_REAL ? REAL_KUBECONFIG : join(dir, "kubeconfig");
  if (sim) await sim.writeKubeconfig(kubeconfigFile);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigFile);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const created: string[] = [];
  return {
    kind: sim ? "kube-sim" : "kubernetes",
    kc,
    core,
    apps: kc.makeApiClient(k8s.AppsV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    ext: kc.makeApiClient(k8s.ApiextensionsV1Api),
    kubeconfigFile,
    sim,
    async namespace(prefix) {
      const name = `${prefix}-${randomBytes(3).toString("hex")}`;
      await core.createNamespace({ body: { metadata: { name, labels: { "baton.dev/test": "kube-sim-api" } } } });
      created.push(name);
      // A real cluster's controller-manager makes the default ServiceAccount a moment later; pods need it.
      if (!sim) await waitFor(`ServiceAccount ${name}/default`, () => core.readNamespacedServiceAccount({ name: "default", namespace: name }).then(() => true, () => false), 30_000);
      return name;
    },
    async close() {
      if (sim) await sim.close();
      else await Promise.all(created.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  contentType: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RawInit {
  headers?: Record<string, string>;
  body?: Buffer | string;
}

async function requestOptions(t: Target, method: string, path: string, headers: Record<string, string>): Promise<{ url: URL; opts: https.RequestOptions }> {
  const server = t.kc.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig names no current cluster");
  const url = new URL(path, server);
  const opts: https.RequestOptions = { method, headers: { ...headers } };
  await t.kc.applyToHTTPSOptions(opts);
  return { url, opts };
}

function transport(url: URL): typeof https | typeof http {
  return url.protocol === "https:" ? https : http;
}

/** One HTTP exchange with the API server, with the kubeconfig's credentials (for headers and bodies client-node does not send). */
export async function raw(t: Target, method: string, path: string, init: RawInit = {}): Promise<RawResponse> {
  // An explicit length: Node does not frame a DELETE's body by itself.
  const length: Record<string, string> = init.body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(init.body)) };
  const { url, opts } = await requestOptions(t, method, path, { ...length, ...init.headers });
  return new Promise((resolve, reject) => {
    const req = transport(url).request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

export interface RawStream {
  status: number;
  contentType: string;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  stop(): void;
}

/** A streaming GET (a watch), read as it arrives. */
export async function rawStream(t: Target, path: string, headers: Record<string, string> = {}): Promise<RawStream> {
  const { url, opts } = await requestOptions(t, "GET", path, headers);
  return new Promise((resolve, reject) => {
    const req = transport(url).request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      const ended = new Promise<void>((done) => {
        res.on("end", done);
        res.on("close", done);
      });
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", () => undefined);
      resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), received: () => Buffer.concat(chunks), ended, stop: () => req.destroy() });
    });
    req.on("error", reject);
    req.end();
  });
}
