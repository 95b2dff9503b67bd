/** Label selectors (equality- and set-based) and field selectors, as the API server parses them. */
import { badRequest } from "../api/errors.js";
import type { LabelSelectorObj } from "../kinds.js";
import { getPath } from "./objects.js";

export type LabelOperator = "=" | "!=" | "in" | "notin" | "exists" | "!exists";

export interface Requirement {
  key: string;
  op: LabelOperator;
  values: string[];
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

function checkKey(key: string, term: string): string {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${term}"`);
  return key;
}

function checkValue(value: string, term: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw badRequest(`unable to parse requirement: invalid label value: "${value}" in "${term}"`);
  }
  return value;
}

function parseSetTerm(term: string, match: RegExpExecArray): Requirement {
  const [, rawKey = "", rawOp = "", rawValues = ""] = match;
  // `in ()` is the set of the empty value, as the Go parser reads it: it selects `key=""` only.
  const values = rawValues.split(",").map((v) => checkValue(v.trim(), term));
  return { key: checkKey(rawKey.trim(), term), op: rawOp === "in" ? "in" : "notin", values };
}

function parseTerm(term: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (set) return parseSetTerm(term, set);
  if (term.startsWith("!")) return { key: checkKey(term.slice(1).trim(), term), op: "!exists", values: [] };
  const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (eq) {
    const [, key = "", op = "", value = ""] = eq;
    return { key: checkKey(key, term), op: op === "!=" ? "!=" : "=", values: [checkValue(value.trim(), term)] };
  }
  if (/^\S+$/.test(term)) return { key: checkKey(term, term), op: "exists", values: [] };
  throw badRequest(`unable to parse requirement: found '${term}', expected: '=', '!=', '==', 'in', notin'`);
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`. An empty text selects everything. */
export function parseLabelSelector(text: string | null | undefined): Requirement[] {
  if (!text) return [];
  return splitTerms(text).map(parseTerm);
}

function matchOne(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case "=":
      return has && value === req.values[0];
    case "!=":
      return !has || value !== req.values[0];
    case "in":
      return has && req.values.includes(value ?? "");
    case "notin":
      return !has || !req.values.includes(value ?? "");
    case "exists":
      return has;
    case "!exists":
      return !has;
  }
}

export function matchesLabels(reqs: readonly Requirement[], labels: Record<string, string> | undefined): boolean {
  if (reqs.length === 0) return true;
  const l = labels ?? {};
  return reqs.every((r) => matchOne(r, l));
}

/** A `{matchLabels, matchExpressions}` selector (Deployments, ReplicaSets) as requirements. */
export function fromLabelSelectorObj(sel: LabelSelectorObj | undefined): Requirement[] {
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key, op: "=", values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op: LabelOperator | undefined =
      e.operator === "In" ? "in" : e.operator === "NotIn" ? "notin" : e.operator === "Exists" ? "exists" : e.operator === "DoesNotExist" ? "!exists" : undefined;
    if (op) reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return reqs;
}

/** A Service's `spec.selector` map as requirements. */
export function fromMap(map: Record<string, string> | undefined): Requirement[] {
  return Object.entries(map ?? {}).map(([key, value]) => ({ key, op: "=", values: [value] }));
}

export interface FieldRequirement {
  path: string;
  negate: boolean;
  value: string;
}

/** Parses `metadata.name=web,status.phase!=Running`, refusing fields the resource does not support. */
export function parseFieldSelector(text: string | null | undefined, supported: (path: string) => boolean, unsupported = (path: string) => `field label not supported: ${path}`): FieldRequirement[] {
  if (!text) return [];
  return text.split(",").filter((t) => t.trim()).map((term) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m) throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    const [, path = "", op, value = ""] = m;
    if (!supported(path)) throw badRequest(unsupported(path));
    return { path, negate: op === "!=", value };
  });
}

export function matchesFields(reqs: readonly FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => {
    const raw = getPath(obj, r.path);
    const actual = raw === undefined || raw === null ? "" : String(raw);
    return r.negate ? actual !== r.value : actual === r.value;
  });
}
