/** discovery.k8s.io/v1 EndpointSlices: validation as the real API server's (the parts a writer can get wrong). */
import type { FieldError } from "../api/errors.js";
import type { EndpointSlice } from "../kinds.js";
import { isPlainObject } from "../machinery/objects.js";
import { portRangeErrors } from "../machinery/validation.js";
import type { Strategy } from "./strategy.js";

const ADDRESS_TYPES = ["IPv4", "IPv6", "FQDN"];
const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;

function endpointErrors(slice: EndpointSlice): FieldError[] {
  const errors: FieldError[] = [];
  const endpoints = slice.endpoints ?? [];
  if (!Array.isArray(endpoints)) return [{ type: "Invalid", field: "endpoints", value: endpoints, detail: "must be a list" }];
  if (endpoints.length > MAX_ENDPOINTS) errors.push({ type: "TooLong", field: "endpoints", detail: `must have at most ${MAX_ENDPOINTS} items` });
  endpoints.forEach((ep, i) => {
    const at = `endpoints[${i}].addresses`;
    const addresses = isPlainObject(ep) && Array.isArray(ep.addresses) ? ep.addresses : [];
    if (addresses.length === 0) errors.push({ type: "Required", field: at, detail: "must contain at least 1 address" });
    if (addresses.length > MAX_ADDRESSES) errors.push({ type: "TooLong", field: at, detail: `must have at most ${MAX_ADDRESSES} items` });
    addresses.forEach((a, j) => {
      if (slice.addressType === "IPv4" && !(typeof a === "string" && IPV4.test(a))) errors.push({ type: "Invalid", field: `${at}[${j}]`, value: a, detail: "must be a valid IPv4 address" });
    });
  });
  return errors;
}

function portErrors(slice: EndpointSlice): FieldError[] {
  const errors: FieldError[] = [];
  (slice.ports ?? []).forEach((p, i) => {
    if (!isPlainObject(p)) return;
    if (p.port !== undefined) errors.push(...portRangeErrors(`ports[${i}].port`, p.port));
    if (p.protocol !== undefined && !PROTOCOLS.includes(String(p.protocol))) {
      errors.push({ type: "NotSupported", field: `ports[${i}].protocol`, value: p.protocol, detail: `supported values: "SCTP", "TCP", "UDP"` });
    }
  });
  return errors;
}

export const ENDPOINT_SLICE: Strategy = {
  nameRule: "subdomain",
  validate(obj, old) {
    const slice = obj as EndpointSlice;
    const errors: FieldError[] = [];
    if (!slice.addressType) errors.push({ type: "Required", field: "addressType" });
    else if (!ADDRESS_TYPES.includes(slice.addressType)) {
      errors.push({ type: "NotSupported", field: "addressType", value: slice.addressType, detail: `supported values: "FQDN", "IPv4", "IPv6"` });
    }
    if (old && (old as EndpointSlice).addressType !== slice.addressType) errors.push({ type: "Invalid", field: "addressType", value: slice.addressType, detail: "field is immutable" });
    return [...errors, ...endpointErrors(slice), ...portErrors(slice)];
  },
};
