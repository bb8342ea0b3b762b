/**
 * Writes the OpenAPI document (src/openapi/) to public/openapi.json, which Workers static
 * assets serve at GET /openapi.json. With `--check` (run by `npm run lint`) it writes nothing
 * and fails (exit 1) when the file differs from what the routes describe, naming the command
 * that brings it up to date.
 *
 * The app is imported here in Node, with the Workers-only module it names (`cloudflare:sockets`,
 * opened only when an SMTP integration sends) standing in as a stub: building the document
 * opens nothing.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = join(import.meta.dirname, "..");
const FILE = join(ROOT, "public", "openapi.json");

const STUB = "data:text/javascript,export function connect() { throw new Error('no sockets here'); }";
const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith("cloudflare:")) return { url: ${JSON.stringify(STUB)}, shortCircuit: true };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);

// Imported by URL: the app is the Worker's code, type-checked by the Worker's tsconfig, not this one.
const at = (path: string) => pathToFileURL(join(ROOT, path)).href;
const { createApp } = (await import(at("src/app.ts"))) as { createApp: () => unknown };
const { openApiDocument } = (await import(at("src/openapi/index.ts"))) as {
  openApiDocument: (app: unknown) => unknown;
};
const text = `${JSON.stringify(openApiDocument(createApp()), null, 2)}\n`;

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(FILE, "utf8");
  } catch {}
  if (current !== text) {
    console.error("openapi: public/openapi.json does not match the routes; run `npm run openapi`");
    process.exit(1);
  }
  console.log("openapi: public/openapi.json matches the routes");
} else {
  writeFileSync(FILE, text);
  console.log(`openapi: wrote public/openapi.json (${(text.length / 1024).toFixed(1)} KiB)`);
}
