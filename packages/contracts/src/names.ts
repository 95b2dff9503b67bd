// Name and reference grammars shared by the release spec and the events.

/** DNS-1123 label: what Kubernetes requires of a namespace name. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** DNS-1035 label: what Kubernetes requires of a Service name (starts with a letter). */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The longest app name: Baton names the preview Service `<app>-preview` (a DNS-1035 label,
 * at most 63 characters), so an app name keeps 8 characters free.
 */
export const MAX_APP_NAME = 55;

/**
 * An image reference as the container runtimes parse it (distribution/reference):
 * [registry[:port]/]path[:tag][@digest]. Lower-case path components separated by "/", with
 * ".", "_", "__" or dashes inside; tag up to 128 characters; digest algorithm:hex.
 */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
export const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);
export const MAX_IMAGE_REFERENCE = 512;

/** The tag of an image reference, or undefined (e.g. "registry:5000/web:2.0.0" → "2.0.0"). */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split("@")[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const last = withoutDigest.slice(lastSlash + 1);
  const colon = last.indexOf(":");
  return colon >= 0 ? last.slice(colon + 1) : undefined;
}

/**
 * A release id travels in NATS subjects and Kubernetes labels, so it is a single subject token
 * and a valid label value: letters, digits, "-" and "_", 1–63 characters, alphanumeric at both ends.
 */
export const RELEASE_ID = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
