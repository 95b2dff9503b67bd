/**
 * A container's log as the kubelet serves it (`/containerLogs/<ns>/<pod>/<container>`, which the
 * API server's `pods/<name>/log` reaches): the query options (PodLogOptions), the refusals a real
 * kubelet words (a container waiting to start, no previous container), and the answer: text/plain,
 * chunked, with `follow` streaming until the container ends.
 */
import type { ServerResponse } from "node:http";
import { logTimestamp, type ContainerLog, type LogLine } from "./container-log.js";
import type { ContainerRunState } from "./pod-status.js";

export interface LogOptions {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly sinceSeconds?: number;
  /** RFC 3339, as ms since the epoch. */
  readonly sinceTime?: number;
  readonly limitBytes?: number;
}

/** A field of the options that is not what PodLogOptions allows. */
export interface LogOptionError {
  readonly field: string;
  readonly value: string | number;
  readonly detail: string;
}

export type ParsedLogOptions = { ok: true; options: LogOptions; invalid: LogOptionError[] } | { ok: false; message: string };

function bool(query: URLSearchParams, name: string): boolean | string {
  const v = query.get(name);
  if (v === null || v === "" || v === "false" || v === "0") return false;
  if (v === "true" || v === "1") return true;
  return `strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`;
}

function int(query: URLSearchParams, name: string): number | undefined | string {
  const v = query.get(name);
  if (v === null || v === "") return undefined;
  if (!/^[-+]?\d+$/.test(v)) return `strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`;
  return Number(v);
}

/**
 * Reads the options of a log request. Syntax errors (a value that is not a number or a boolean)
 * are a refusal; values out of range are listed in `invalid` (the API server answers those 422,
 * as ValidatePodLogOptions does).
 */
export function parseLogOptions(query: URLSearchParams): ParsedLogOptions {
  const follow = bool(query, "follow");
  const previous = bool(query, "previous");
  const timestamps = bool(query, "timestamps");
  const tailLines = int(query, "tailLines");
  const sinceSeconds = int(query, "sinceSeconds");
  const limitBytes = int(query, "limitBytes");
  for (const v of [follow, previous, timestamps, tailLines, sinceSeconds, limitBytes]) if (typeof v === "string") return { ok: false, message: v };
  const rawSince = query.get("sinceTime");
  const sinceTime = rawSince ? Date.parse(rawSince) : undefined;
  if (rawSince && !Number.isFinite(sinceTime)) return { ok: false, message: `parsing time ${JSON.stringify(rawSince)} as "2006-01-02T15:04:05Z07:00": cannot parse` };
  const invalid: LogOptionError[] = [];
  if (typeof tailLines === "number" && tailLines < 0) invalid.push({ field: "tailLines", value: tailLines, detail: "must be greater than or equal to 0" });
  if (typeof limitBytes === "number" && limitBytes < 1) invalid.push({ field: "limitBytes", value: limitBytes, detail: "must be greater than 0" });
  if (sinceSeconds !== undefined && sinceTime !== undefined) invalid.push({ field: "", value: "", detail: "at most one of `sinceTime` or `sinceSeconds` may be specified" });
  else if (typeof sinceSeconds === "number" && sinceSeconds < 1) invalid.push({ field: "sinceSeconds", value: sinceSeconds, detail: "must be greater than 0" });
  const options: LogOptions = {
    follow: follow === true,
    previous: previous === true,
    timestamps: timestamps === true,
    ...(typeof tailLines === "number" ? { tailLines } : {}),
    ...(typeof sinceSeconds === "number" ? { sinceSeconds } : {}),
    ...(sinceTime !== undefined ? { sinceTime } : {}),
    ...(typeof limitBytes === "number" ? { limitBytes } : {}),
  };
  return { ok: true, options, invalid };
}

/** Why a container's log cannot be read in its state (the kubelet's validateContainerLogStatus), or undefined. */
export function logStateError(container: string, pod: string, state: ContainerRunState | undefined, previous: boolean): string | undefined {
  const c = JSON.stringify(container);
  const p = JSON.stringify(pod);
  // kube-sim never restarts a container: there is never a previous one.
  if (previous) return `previous terminated container ${c} in pod ${p} not found`;
  if (!state) return `container ${c} in pod ${p} is waiting to start - no logs yet`;
  switch (state.kind) {
    case "running":
    case "terminated":
      return undefined;
    case "creating":
      return `container ${c} in pod ${p} is waiting to start: ContainerCreating`;
    case "waiting":
      if (state.reason === "ErrImagePull") return `container ${c} in pod ${p} is waiting to start: image can't be pulled`;
      if (state.reason === "ImagePullBackOff") return `container ${c} in pod ${p} is waiting to start: trying and failing to pull image`;
      return `container ${c} in pod ${p} is waiting to start: ${state.reason}`;
  }
}

function render(line: LogLine, timestamps: boolean): string {
  return timestamps ? `${logTimestamp(line.at)} ${line.text}\n` : `${line.text}\n`;
}

/**
 * Answers with the log: the selected lines, then (follow) every new line until the container
 * ends or the client leaves. limitBytes cuts the answer there, mid-line if need be.
 */
export function streamLog(res: ServerResponse, log: ContainerLog, opts: LogOptions, now = Date.now()): void {
  const sinceMs = opts.sinceTime ?? (opts.sinceSeconds !== undefined ? now - opts.sinceSeconds * 1000 : undefined);
  res.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
  let left = opts.limitBytes ?? Infinity;
  let stop = (): void => undefined;
  const finish = (): void => {
    stop();
    if (!res.writableEnded) res.end();
  };
  const write = (line: LogLine): void => {
    if (res.writableEnded || left <= 0) return;
    let text = render(line, opts.timestamps);
    if (Buffer.byteLength(text) > left) text = Buffer.from(text).subarray(0, left).toString();
    left -= Buffer.byteLength(text);
    res.write(text);
    if (left <= 0) finish();
  };
  for (const line of log.read({ ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}), ...(sinceMs !== undefined ? { sinceMs } : {}) })) write(line);
  if (!opts.follow || res.writableEnded) return finish();
  stop = log.follow(write, finish);
  res.on("close", () => stop());
}
