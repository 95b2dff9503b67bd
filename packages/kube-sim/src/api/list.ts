/** Lists: selectors, `limit` and `continue` pages, the List envelope. */
import type { KObject } from "../kinds.js";
import { parseFieldSelector, parseLabelSelector, type FieldRequirement, type Requirement } from "../machinery/selectors.js";
import type { ApiCore } from "./core.js";
import { ApiError, badRequest, invalid, type FieldError } from "./errors.js";
import type { ResourceType } from "./resources.js";

const COMMON_FIELDS = ["metadata.name", "metadata.namespace"];

export interface Selectors {
  labels: Requirement[];
  fields: FieldRequirement[];
}

export function selectorsOf(rt: ResourceType, query: URLSearchParams): Selectors {
  const own = rt.strategy.fieldLabels;
  const supported = new Set([...COMMON_FIELDS, ...(own ?? [])]);
  // Kinds with field labels of their own say so as their conversion does; the others as the generic one.
  const unsupported = own ? (p: string) => `field label not supported: ${p}` : (p: string) => `"${p}" is not a known field selector: only "metadata.name", "metadata.namespace"`;
  const paths = rt.strategy.fieldPaths ?? {};
  return {
    labels: parseLabelSelector(query.get("labelSelector")),
    fields: parseFieldSelector(query.get("fieldSelector"), (p) => supported.has(p), unsupported).map((r) => ({ ...r, path: paths[r.path] ?? r.path })),
  };
}

const forbidden = (field: string, detail: string): FieldError => ({ type: "Forbidden", field, detail });
const supported = (values: string[]) => `supported values: ${values.map((v) => JSON.stringify(v)).join(", ")}`;

function watchOptionErrors(query: URLSearchParams): FieldError[] {
  const match = query.get("resourceVersionMatch") ?? "";
  const errors: FieldError[] = [];
  if (query.has("sendInitialEvents") && match !== "NotOlderThan") errors.push(forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
  if (!match) return errors;
  if (!query.has("sendInitialEvents")) errors.push(forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
  if (match !== "NotOlderThan") errors.push({ type: "NotSupported", field: "resourceVersionMatch", value: match, detail: supported(["NotOlderThan"]) });
  if (query.get("continue")) errors.push(forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
  return errors;
}

function listOptionErrors(query: URLSearchParams): FieldError[] {
  const match = query.get("resourceVersionMatch") ?? "";
  const rv = query.get("resourceVersion") ?? "";
  const errors: FieldError[] = [];
  if (match) {
    if (!rv) errors.push(forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"));
    if (query.get("continue")) errors.push(forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
    if (match !== "Exact" && match !== "NotOlderThan") errors.push({ type: "NotSupported", field: "resourceVersionMatch", value: match, detail: supported(["Exact", "NotOlderThan", ""]) });
    if (match === "Exact" && rv === "0") errors.push(forbidden("resourceVersionMatch", 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (query.has("sendInitialEvents")) errors.push(forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
  return errors;
}

/** ListOptions validation of a list or a watch (422 Invalid, as the real server's). */
export function checkListOptions(query: URLSearchParams, watch: boolean): void {
  const errors = watch ? watchOptionErrors(query) : listOptionErrors(query);
  if (errors.length > 0) throw invalid("ListOptions", "meta.k8s.io", "", errors);
}

/** A built-in list's items carry no apiVersion and kind (the list says them); a custom resource's do. */
export function listItems(rt: ResourceType, items: KObject[]): KObject[] {
  return rt.isCustom ? items : items.map(({ apiVersion: _v, kind: _k, ...rest }) => rest as KObject);
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
    if (!query.get("labelSelector") && !query.get("fieldSelector")) metadata.remainingItemCount = items.length - limit;
    items = page;
  }
  return { kind: rt.listKind, apiVersion: rt.apiVersion, metadata, items: listItems(rt, items) };
}
