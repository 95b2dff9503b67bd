/** Lists: selectors, `limit` and `continue` pages, the List envelope. */
import type { KObject } from "../kinds.js";
import { parseFieldSelector, parseLabelSelector, type FieldRequirement, type Requirement } from "../machinery/selectors.js";
import type { ApiCore } from "./core.js";
import { ApiError, badRequest } from "./errors.js";
import type { ResourceType } from "./resources.js";

const COMMON_FIELDS = ["metadata.name", "metadata.namespace"];

export interface Selectors {
  labels: Requirement[];
  fields: FieldRequirement[];
}

export function selectorsOf(rt: ResourceType, query: URLSearchParams): Selectors {
  const supported = new Set([...COMMON_FIELDS, ...(rt.strategy.fieldLabels ?? [])]);
  return {
    labels: parseLabelSelector(query.get("labelSelector")),
    fields: parseFieldSelector(query.get("fieldSelector"), (p) => supported.has(p)),
  };
}

interface ContinueToken {
  rv: number;
  after: string;
}

function keyOf(o: KObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as ContinueToken;
    if (typeof parsed.after === "string" && typeof parsed.rv === "number") return parsed;
  } catch {
    // fall through
  }
  throw badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
}

export function listObjects(core: ApiCore, rt: ResourceType, namespace: string | undefined, query: URLSearchParams): Record<string, unknown> {
  const { labels, fields } = selectorsOf(rt, query);
  let items = core.list(rt, namespace, labels, fields);
  const token = query.get("continue");
  const rv = core.store.resourceVersion;
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (token) {
    const { after, rv: startRv } = decodeContinue(token);
    if (startRv < core.store.oldestResumable) {
      throw new ApiError(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
    }
    items = items.filter((o) => keyOf(o) > after);
  }
  const limit = Number(query.get("limit") ?? "0");
  if (limit > 0 && items.length > limit) {
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    metadata.continue = Buffer.from(JSON.stringify({ rv, after: last ? keyOf(last) : "" })).toString("base64url");
    metadata.remainingItemCount = items.length - limit;
    items = page;
  }
  return { kind: rt.listKind, apiVersion: rt.apiVersion, metadata, items };
}
