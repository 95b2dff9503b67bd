/** The two places kube-sim's components write Events: its API core in-process, or an API server over HTTP. */
import { SYSTEM, type ApiCore } from "../api/core.js";
import { ApiError } from "../api/errors.js";
import { PATCH_TYPES } from "../api/patch.js";
import type { ApiClient } from "../client/rest.js";
import { isStatus } from "../client/rest.js";
import type { EventSink } from "./recorder.js";

const MERGE = PATCH_TYPES.merge;

/** kube-sim's own controllers: straight into the API core, as "system:kube-sim". */
export function coreSink(core: ApiCore): EventSink {
  const type = () => {
    const rt = core.registry.lookup("", "v1", "events");
    if (!rt) throw new Error("kube-sim: events must be served");
    return rt;
  };
  return {
    async create(namespace, event) {
      core.create(type(), namespace, event, SYSTEM);
    },
    async patch(namespace, name, patch) {
      try {
        core.patch(type(), namespace, name, PATCH_TYPES.merge, patch, SYSTEM);
        return true;
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return false;
        throw err;
      }
    },
  };
}

/** A node's kubelet: through the API server's HTTP API, as any client. */
export function clientSink(client: ApiClient): EventSink {
  const path = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  return {
    async create(namespace, event) {
      await client.request("POST", path(namespace), { body: event, timeoutMs: 5000 });
    },
    async patch(namespace, name, patch) {
      try {
        await client.request("PATCH", `${path(namespace)}/${encodeURIComponent(name)}`, { body: patch, contentType: MERGE, timeoutMs: 5000 });
        return true;
      } catch (err) {
        if (isStatus(err, 404)) return false;
        throw err;
      }
    },
  };
}
