import type { V1Container, V1PodTemplateSpec } from "@kubernetes/client-node";
import type { ReleaseState } from "@baton/contracts";
import { LABEL_APP, LABEL_REVISION } from "./kube.js";

// The pod template of a new revision (DESIGN.md "Release spec"): v2 starts from v1's pod template
// with `image` set on its first container (as `kubectl set image` does), then the request's
// `template` is merged over it — containers and init containers by name, env by name, any other
// object field deep-merged, any other list replaced. On a first release the request's template
// defines the pods; without one, a single container `app` with the image and the port.
// Pure: no I/O, so it is unit-tested on its own. The pod-manager creates the Deployment from it;
// the planner computes the same template at plan time to warn about it (servingContainer).

type Json = Record<string, unknown>;
type Spec = NonNullable<ReleaseState["spec"]>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge: objects field by field, lists of named items by name, other lists and values replaced. */
export function mergeOver(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  if (Array.isArray(base) && Array.isArray(over) && isNamedList(base) && isNamedList(over)) return mergeByName(base, over);
  if (!isObject(base) || !isObject(over)) return structuredClone(over);
  const out: Json = structuredClone(base);
  for (const [key, value] of Object.entries(over)) out[key] = mergeOver(base[key], value);
  return out;
}

function isNamedList(list: unknown[]): list is Json[] {
  return list.every((item) => isObject(item) && typeof item.name === "string");
}

/** Items of `over` merged into the item of `base` with the same name; new names appended in order. */
function mergeByName(base: Json[], over: Json[]): Json[] {
  const out = base.map((item) => structuredClone(item));
  for (const item of over) {
    const at = out.findIndex((b) => b.name === item.name);
    if (at === -1) out.push(structuredClone(item));
    else out[at] = mergeOver(out[at], item) as Json;
  }
  return out;
}

/** The first-release base: one container `app` with the image and the port. */
function defaultTemplate(spec: Spec): V1PodTemplateSpec {
  return { spec: { containers: [{ name: "app", image: spec.image, ports: [{ name: "http", containerPort: spec.port }] }] } };
}

/** v1's pod template with the new image on its first container (`kubectl set image`). */
function fromPrevious(previous: V1PodTemplateSpec, image: string): V1PodTemplateSpec {
  const t = structuredClone(previous);
  const first = t.spec?.containers?.[0];
  if (first !== undefined) first.image = image;
  return t;
}

/**
 * The pod template of the new revision. `previous` is v1's Deployment pod template, or null on a
 * first release (or when v1's Deployment is gone). Pod labels always carry the app and revision.
 */
export function podTemplateFor(spec: Spec, revision: number, previous: V1PodTemplateSpec | null): V1PodTemplateSpec {
  const requested = spec.template as V1PodTemplateSpec | undefined;
  let t: V1PodTemplateSpec;
  if (previous !== null) t = mergeOver(fromPrevious(previous, spec.image), requested) as V1PodTemplateSpec;
  else if (requested?.spec?.containers !== undefined) t = withImage(structuredClone(requested), spec.image);
  else t = mergeOver(defaultTemplate(spec), requested) as V1PodTemplateSpec;
  ensurePort(t, spec.port);
  t.metadata = {
    ...t.metadata,
    labels: { ...t.metadata?.labels, [LABEL_APP]: spec.app, [LABEL_REVISION]: String(revision) },
  };
  return t;
}

/** On a first release the request's template names the containers; the release's image goes on the first. */
function withImage(t: V1PodTemplateSpec, image: string): V1PodTemplateSpec {
  const first = t.spec?.containers?.[0];
  if (first !== undefined) first.image = image;
  return t;
}

/** The Services target spec.port: declare it on the first container when it declares no port. */
function ensurePort(t: V1PodTemplateSpec, port: number): void {
  const first: V1Container | undefined = t.spec?.containers?.[0];
  if (first !== undefined && (first.ports === undefined || first.ports.length === 0)) {
    first.ports = [{ name: "http", containerPort: port }];
  }
}

/**
 * The container that serves `port`: the one declaring it as a containerPort, else the first
 * (podTemplateFor declares the port on the first container when it declares none, and the
 * Services send traffic to that port of the pod). undefined for a template without containers.
 */
export function servingContainer(t: V1PodTemplateSpec, port: number): V1Container | undefined {
  const containers = t.spec?.containers ?? [];
  return containers.find((c) => (c.ports ?? []).some((p) => p.containerPort === port)) ?? containers[0];
}
