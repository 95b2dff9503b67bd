/**
 * Which images the simulated kubelet can run. Exactly one repository runs: `baton.dev/demo-app`,
 * with any tag (none means `latest`) or digest. Every other image "cannot be pulled", so a test
 * stages a pod that never starts by naming any other image.
 */
export const DEMO_REPOSITORY = "baton.dev/demo-app";

export interface DemoImage {
  /** The tag (or digest), the default answer of `GET /version`. */
  readonly tag: string;
}

/** The demo image `image` names, or undefined when it is not the demo app. */
export function parseDemoImage(image: string | undefined): DemoImage | undefined {
  if (!image) return undefined;
  const at = image.indexOf("@");
  if (at >= 0) return image.slice(0, at) === DEMO_REPOSITORY ? { tag: image.slice(at + 1) } : undefined;
  const colon = image.lastIndexOf(":");
  const slash = image.lastIndexOf("/");
  const hasTag = colon > slash;
  const repository = hasTag ? image.slice(0, colon) : image;
  if (repository !== DEMO_REPOSITORY) return undefined;
  const tag = hasTag ? image.slice(colon + 1) : "latest";
  return tag ? { tag } : undefined;
}

/** A stable fake image digest, so `imageID` looks like a pulled image's. */
export function imageId(image: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < image.length; i++) h = Math.imul(h ^ image.charCodeAt(i), 0x01000193) >>> 0;
  return `${DEMO_REPOSITORY}@sha256:${h.toString(16).padStart(8, "0").repeat(8)}`;
}
