// Writes packages/contracts/schemas/ from the zod schemas (`pnpm schemas`).
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonSchemas } from "@baton/contracts";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "schemas");
await rm(out, { recursive: true, force: true });
for (const { file, schema } of jsonSchemas()) {
  const path = join(out, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(schema, null, 2)}\n`);
}
console.log(`wrote ${jsonSchemas().length} schemas to ${out}`);
