/** JSON patch (RFC 6902), `application/json-patch+json`. */
import { clone, deepEqual, isPlainObject } from "./objects.js";

/** The patch document is malformed (answered 400). */
export class JsonPatchFormatError extends Error {
  override readonly name = "JsonPatchFormatError";
}

/** An operation could not be applied, e.g. a failed `test` (answered 422). */
export class JsonPatchApplyError extends Error {
  override readonly name = "JsonPatchApplyError";
}

interface Operation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  from?: string;
  value?: unknown;
}

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new JsonPatchFormatError(`invalid JSON pointer "${pointer}"`);
  return pointer.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function checkOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) throw new JsonPatchFormatError("a JSON patch must be an array of operations");
  return patch.map((op: unknown) => {
    if (!isPlainObject(op) || typeof op.op !== "string" || !OPS.has(op.op) || typeof op.path !== "string") {
      throw new JsonPatchFormatError(`invalid operation ${JSON.stringify(op)}`);
    }
    if ((op.op === "move" || op.op === "copy") && typeof op.from !== "string") {
      throw new JsonPatchFormatError(`operation ${op.op} needs "from"`);
    }
    if ((op.op === "add" || op.op === "replace" || op.op === "test") && !("value" in op)) {
      throw new JsonPatchFormatError(`operation ${op.op} needs "value"`);
    }
    return op as unknown as Operation;
  });
}

interface Slot {
  parent: Record<string, unknown> | unknown[];
  key: string;
}

function resolveParent(doc: unknown, tokens: string[], pointer: string): Slot {
  let cur: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, token, pointer, false)];
    else if (isPlainObject(cur)) cur = cur[token];
    else cur = undefined;
    if (cur === undefined) throw new JsonPatchApplyError(`path "${pointer}" does not exist`);
  }
  if (!Array.isArray(cur) && !isPlainObject(cur)) throw new JsonPatchApplyError(`path "${pointer}" does not exist`);
  return { parent: cur, key: tokens[tokens.length - 1] ?? "" };
}

function arrayIndex(arr: unknown[], token: string, pointer: string, forAdd: boolean): number {
  if (forAdd && token === "-") return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new JsonPatchApplyError(`invalid array index "${token}" in "${pointer}"`);
  const index = Number(token);
  if (index > arr.length || (!forAdd && index === arr.length)) throw new JsonPatchApplyError(`index out of range in "${pointer}"`);
  return index;
}

function read(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const { parent, key } = resolveParent(doc, tokens, pointer);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, key, pointer, false)] : parent[key];
  if (value === undefined) throw new JsonPatchApplyError(`path "${pointer}" does not exist`);
  return value;
}

function add(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, pointer, true), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new JsonPatchApplyError("cannot remove the whole document");
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, pointer, false), 1);
  else if (key in parent) delete parent[key];
  else throw new JsonPatchApplyError(`path "${pointer}" does not exist`);
  return doc;
}

function applyOne(doc: unknown, op: Operation): unknown {
  switch (op.op) {
    case "add":
      return add(doc, op.path, clone(op.value));
    case "remove":
      return remove(doc, op.path);
    case "replace":
      if (op.path === "") return clone(op.value);
      read(doc, op.path);
      return add(remove(doc, op.path), op.path, clone(op.value));
    case "move": {
      const value = read(doc, op.from ?? "");
      return add(remove(doc, op.from ?? ""), op.path, value);
    }
    case "copy":
      return add(doc, op.path, clone(read(doc, op.from ?? "")));
    case "test":
      if (!deepEqual(read(doc, op.path), op.value)) throw new JsonPatchApplyError(`testing value ${op.path} failed`);
      return doc;
  }
}

export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  const ops = checkOperations(patch);
  let doc = clone(target);
  for (const op of ops) doc = applyOne(doc, op);
  return doc;
}
