/** What differs between kinds on a write: defaults, validation, status on create. */
import type { FieldError } from "../api/errors.js";
import type { KObject } from "../kinds.js";
import type { NameRule } from "../machinery/validation.js";

export interface Strategy {
  /** How `metadata.name` is checked. */
  readonly nameRule: NameRule;
  /** Field selector paths the resource supports beyond metadata.name and metadata.namespace. */
  readonly fieldLabels?: readonly string[];
  /** Field selector labels that select on another stored path (core Events' `source` is `source.component`). */
  readonly fieldPaths?: Readonly<Record<string, string>>;
  /** Rewrites request-only forms into the stored form (e.g. a Secret's stringData). May throw ApiError. */
  normalize?(obj: KObject): void;
  /** Drops the fields its schema does not have and returns their paths (custom resources). */
  pruneUnknown?(obj: KObject): string[];
  /** Fills defaults, on create and on update. */
  defaults?(obj: KObject): void;
  /** Sets the initial status on create (status sent by the client is dropped first). */
  initialStatus?(obj: KObject): unknown;
  /** Carries server-set fields over from the stored object on update (e.g. a Service's clusterIP). */
  prepareUpdate?(obj: KObject, old: KObject): void;
  /** Field errors; `old` is set on update. */
  validate?(obj: KObject, old: KObject | undefined): FieldError[];
  /** Fills the defaults of a status write (the `status` subresource) and returns its field errors. */
  validateStatus?(obj: KObject, old: KObject): FieldError[];
}

export const GENERIC: Strategy = { nameRule: "subdomain" };
