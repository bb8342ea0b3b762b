/**
 * `npm run check:bundle`: builds the production bundle (`wrangler deploy --dry-run --env
 * production`) and fails if any module of the provider simulator (src/sandbox) or the
 * development entry (src/dev.ts) is in it, or if it is over the budget. Prints its raw and gzip
 * sizes. Modules are read from the bundle's source map, which names every input file.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT, runWrangler } from "./lib.ts";

/** The production bundle's budget, raw (before gzip). */
export const BUDGET_KIB = 600;

const FORBIDDEN = [/^src\/sandbox\//, /^src\/dev\.ts$/];

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function main() {
  const out = mkdtempSync(join(tmpdir(), "switchboard-bundle-"));
  try {
    await runWrangler(["deploy", "--dry-run", "--env", "production", "--outdir", out], { quiet: true });
    const code = readFileSync(join(out, "index.js"));
    const map = JSON.parse(readFileSync(join(out, "index.js.map"), "utf8")) as { sources: string[] };
    const sources = map.sources.map((s) => relative(ROOT, resolve(out, s)).replaceAll("\\", "/"));
    const forbidden = sources.filter((s) => FORBIDDEN.some((re) => re.test(s)));
    const raw = code.byteLength;
    const gzip = gzipSync(code, { level: 9 }).byteLength;
    console.log(`production bundle: ${kib(raw)} raw, ${kib(gzip)} gzip (budget ${BUDGET_KIB} KiB raw)`);
    const failures: string[] = [];
    if (forbidden.length) failures.push(`development-only modules in the bundle: ${forbidden.join(", ")}`);
    if (raw > BUDGET_KIB * 1024) failures.push(`over budget by ${kib(raw - BUDGET_KIB * 1024)}`);
    if (!sources.some((s) => s === "src/index.ts")) failures.push("src/index.ts is not in the source map");
    for (const f of failures) console.error(`check-bundle: ${f}`);
    process.exitCode = failures.length ? 1 : 0;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
