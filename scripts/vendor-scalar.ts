/**
 * Copies Scalar's standalone browser bundle (@scalar/api-reference, a devDependency) from
 * node_modules to public/vendor/scalar/standalone.js, where Workers static assets serve it to the
 * /docs page (src/routes/docs.ts). The copy is git-ignored (it is ~5 MB): `npm install` makes it
 * (`postinstall`), and `npm run deploy` / `deploy:staging` make it again first (`predeploy`), so
 * a fresh checkout never serves /docs without it. The copy starts with a comment naming the
 * package's version, and the bundle's `sourceMappingURL` comment is dropped (the 20 MB map is not
 * copied). Exits 1 when the package is not installed.
 *
 *   node scripts/vendor-scalar.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const PACKAGE = join(ROOT, "node_modules", "@scalar", "api-reference");
const SOURCE = join(PACKAGE, "dist", "browser", "standalone.js");
const TARGET_DIR = join(ROOT, "public", "vendor", "scalar");
const TARGET = join(TARGET_DIR, "standalone.js");

if (!existsSync(SOURCE)) {
  console.error(`vendor-scalar: ${SOURCE} is missing; run \`npm install\``);
  process.exit(1);
}
const { version } = JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")) as { version: string };
const bundle = readFileSync(SOURCE, "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
const header = `/* @scalar/api-reference ${version} (MIT License, https://github.com/scalar/scalar), copied by scripts/vendor-scalar.ts */\n`;
const text = header + bundle;
let current = "";
try {
  current = readFileSync(TARGET, "utf8");
} catch {}
if (current === text) {
  console.log(`vendor-scalar: public/vendor/scalar/standalone.js is @scalar/api-reference ${version}`);
} else {
  mkdirSync(TARGET_DIR, { recursive: true });
  writeFileSync(TARGET, text);
  console.log(
    `vendor-scalar: wrote public/vendor/scalar/standalone.js (@scalar/api-reference ${version}, ${(Buffer.byteLength(text) / 1024 / 1024).toFixed(1)} MB)`,
  );
}
