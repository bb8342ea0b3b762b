/**
 * `npm run check:bundle`: builds the production bundle (`wrangler deploy --dry-run --env
 * production`) and fails if any module of the provider simulator (src/sandbox) or the
 * development entry (src/dev.ts) is in it, or if it is over the budget. Prints its raw and gzip
 * sizes. Modules are read from esbuild's build metadata (`--metafile`), which names every input
 * file and the bytes it contributes to the minified bundle.
 *
 * It also fails when code under src/ reads a member of zod's `z` that src/lib/zod-bundle.ts (what
 * `zod` is in the deployed bundle) does not export: the tests run on zod itself and would pass.
 * And it runs the production entry, built the way it deploys (wrangler.toml `[alias]`: the zod
 * bundle, the OpenAPI library without its generators, drizzle without Postgres), on local
 * bindings, to see a few requests answered as the tests see them on the real libraries: a bare
 * route, a JSON 404, a 401, a validation error with its issues, and GET /openapi.json from the
 * static assets.
 *
 * `npm run check:bundle -- --top 20` also prints the 20 largest contributors: each npm package
 * as a whole, and the project's own files by folder. A package bundled from two directories (two
 * copies) is flagged.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import ts from "typescript";
import { flagValue, ROOT, runWrangler } from "./lib.ts";

/**
 * The production bundle's budget, raw (before gzip). 600 KiB when the simulator left the bundle
 * (then 577 KiB); calendar bookings, SNS signature checks, webhook registration for seven
 * providers, payments, Page insights and Salesforce sessions took it to about 638 KiB; the shard
 * seam, queue-first ingest, the read caches, pacing's Durable Object and retention to about
 * 652 KiB; the dashboard, the connect page's session check, provider ids on every integration path
 * and last_tested_at to about 661 KiB; message timelines, record search and CSV export, templates,
 * scheduled sends and suppression lists to about 683 KiB. The next
 * measured lever: route documentation (summaries, descriptions, response schemas) is only read by
 * `npm run openapi`, yet ships; behind a build-time constant it would leave about 10 KiB of strings
 * and the response schemas' code out.
 */
export const BUDGET_KIB = 700;

const FORBIDDEN = [/^src\/sandbox\//, /^src\/dev\.ts$/];

const SMOKE_ADMIN_TOKEN = "check-bundle-admin-token-0123456789";

/** What the production entry answered that it should not have; empty when all is well. */
async function smoke(): Promise<string[]> {
  const { unstable_startWorker } = await import("wrangler");
  const worker = await unstable_startWorker({
    config: join(ROOT, "wrangler.toml"),
    env: "production",
    bindings: {
      ADMIN_TOKEN: { type: "plain_text", value: SMOKE_ADMIN_TOKEN },
      ENCRYPTION_KEYS: { type: "plain_text", value: `k1:${Buffer.alloc(32).toString("base64")}` },
    },
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      persist: mkdtempSync(join(tmpdir(), "switchboard-smoke-")),
    },
  });
  const problems: string[] = [];
  try {
    await worker.ready;
    const ask = async (
      path: string,
      init: { method?: string; headers?: Record<string, string>; body?: string } = {},
    ) => {
      const res = await worker.fetch(`http://hub.test${path}`, init);
      const text = await res.text();
      return {
        status: res.status,
        text,
        json: (() => {
          try {
            return JSON.parse(text);
          } catch {
            return null;
          }
        })(),
      };
    };
    const expectAnswer = (
      name: string,
      got: { status: number; text: string },
      status: number,
      ok: boolean,
    ) => {
      if (got.status !== status || !ok) problems.push(`${name}: ${got.status} ${got.text.slice(0, 200)}`);
    };
    const ping = await ask("/ping");
    expectAnswer("GET /ping", ping, 200, ping.text === "ok");
    const missing = await ask("/no-such-route");
    expectAnswer("an unknown route", missing, 404, missing.json?.code === "NOT_FOUND");
    const anonymous = await ask("/api/integrations");
    expectAnswer("no API key", anonymous, 401, typeof anonymous.json?.error === "string");
    const invalid = await ask("/admin/organizations", {
      method: "POST",
      headers: { authorization: `Bearer ${SMOKE_ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: 42 }),
    });
    expectAnswer(
      "a body that fails validation",
      invalid,
      400,
      Array.isArray(invalid.json?.issues) &&
        invalid.json.issues.some((i: { path?: string }) => i.path === "name"),
    );
    const document = await ask("/openapi.json");
    expectAnswer("GET /openapi.json", document, 200, document.json?.openapi === "3.1.0");
  } finally {
    await worker.dispose();
  }
  return problems;
}

/** The part of esbuild's metafile read here: per output file, the bytes each input gave it. */
interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

/** One line of the `--top` listing: an npm package or a folder of the project's own files. */
export interface Contributor {
  name: string;
  bytes: number;
  /** The directories a package was bundled from; more than one means duplicate copies. */
  copies: string[];
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/**
 * Groups a bundle's inputs (paths relative to the project root, as esbuild names them) into npm
 * packages (by the innermost `node_modules/` segment, so a nested copy counts under the same
 * name) and folders of the project's own files, largest first.
 */
export function contributors(inputs: Record<string, { bytesInOutput: number }>): Contributor[] {
  const groups = new Map<string, { bytes: number; copies: Set<string> }>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const p = path.replaceAll("\\", "/");
    const m = p.match(/^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)/);
    const name = m?.[2] ?? (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : p);
    const group = groups.get(name) ?? { bytes: 0, copies: new Set<string>() };
    group.bytes += bytesInOutput;
    if (m) group.copies.add(`${m[1]}${m[2]}`);
    groups.set(name, group);
  }
  return [...groups]
    .map(([name, g]) => ({ name, bytes: g.bytes, copies: [...g.copies] }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** Modules whose `z` export is zod's namespace (in the bundle, src/lib/zod-bundle.ts). */
const ZOD_MODULES = new Set(["zod", "@hono/zod-openapi"]);

/**
 * The members of zod a module reads at run time: `z.<name>` where `z` is imported from `zod` or
 * `@hono/zod-openapi` (named, default or namespace import), and values imported by name from
 * `zod`. Type-only imports and types such as `z.infer<…>` do not count.
 */
export function zodMembersRead(fileName: string, text: string): { name: string; line: number }[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const namespaces = new Set<string>();
  const read: { name: string; line: number }[] = [];
  const lineOf = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const from = st.moduleSpecifier.text;
    const clause = st.importClause;
    if (!ZOD_MODULES.has(from) || !clause || clause.isTypeOnly) continue;
    if (clause.name && from === "zod") namespaces.add(clause.name.text);
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings) && from === "zod") namespaces.add(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings)) {
      for (const el of bindings.elements) {
        if (el.isTypeOnly) continue;
        const imported = (el.propertyName ?? el.name).text;
        if (imported === "z") namespaces.add(el.name.text);
        else if (from === "zod") read.push({ name: imported, line: lineOf(el) });
      }
    }
  }
  if (namespaces.size === 0) return read;
  const visit = (node: ts.Node) => {
    if (
      ts.isPropertyAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      namespaces.has(node.expression.text)
    )
      read.push({ name: node.name.text, line: lineOf(node) });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return read;
}

/** `file:line z.<name>` for every member of zod read under src/ that the bundle's zod lacks. */
async function missingZodMembers(): Promise<string[]> {
  const bundled = new Set(Object.keys(await import(pathToFileURL(join(ROOT, "src/lib/zod-bundle.ts")).href)));
  const missing: string[] = [];
  const files = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" });
  for (const rel of files.map((f) => `src/${f.replaceAll("\\", "/")}`).sort()) {
    if (!rel.endsWith(".ts") || rel.endsWith(".test.ts") || rel === "src/lib/zod-bundle.ts") continue;
    for (const { name, line } of zodMembersRead(rel, readFileSync(join(ROOT, rel), "utf8")))
      if (!bundled.has(name)) missing.push(`${rel}:${line} z.${name}`);
  }
  return missing;
}

function printTop(list: Contributor[], n: number, total: number) {
  console.log(`largest ${Math.min(n, list.length)} of ${list.length} contributors (minified bytes):`);
  for (const c of list.slice(0, n)) {
    const share = `${((100 * c.bytes) / total).toFixed(1)}%`;
    const dup = c.copies.length > 1 ? `  (${c.copies.length} copies: ${c.copies.join(", ")})` : "";
    console.log(`${kib(c.bytes).padStart(11)} ${share.padStart(6)}  ${c.name}${dup}`);
  }
}

async function main() {
  const argv = process.argv.slice(2);
  const topArg = flagValue(argv, "--top");
  const top = topArg === undefined ? 0 : Number(topArg);
  if (!Number.isInteger(top) || top < 0) throw new Error(`--top wants a whole number, not "${topArg}"`);
  const out = mkdtempSync(join(tmpdir(), "switchboard-bundle-"));
  try {
    const metafile = join(out, "meta.json");
    await runWrangler(
      ["deploy", "--dry-run", "--env", "production", "--outdir", out, "--metafile", metafile],
      { quiet: true },
    );
    const code = readFileSync(join(out, "index.js"));
    const meta = JSON.parse(readFileSync(metafile, "utf8")) as Metafile;
    const bundle = Object.entries(meta.outputs).find(([path]) => path.endsWith("index.js"))?.[1];
    if (!bundle) throw new Error("the build metadata names no index.js output");
    const sources = Object.keys(bundle.inputs).map((s) => s.replaceAll("\\", "/"));
    const forbidden = sources.filter((s) => FORBIDDEN.some((re) => re.test(s)));
    const raw = code.byteLength;
    const gzip = gzipSync(code, { level: 9 }).byteLength;
    if (top) printTop(contributors(bundle.inputs), top, raw);
    console.log(`production bundle: ${kib(raw)} raw, ${kib(gzip)} gzip (budget ${BUDGET_KIB} KiB raw)`);
    const failures: string[] = [];
    if (forbidden.length) failures.push(`development-only modules in the bundle: ${forbidden.join(", ")}`);
    if (raw > BUDGET_KIB * 1024) failures.push(`over budget by ${kib(raw - BUDGET_KIB * 1024)}`);
    if (!sources.includes("src/index.ts")) failures.push("src/index.ts is not in the bundle");
    const missing = await missingZodMembers();
    if (missing.length)
      failures.push(
        `zod members read but not exported by src/lib/zod-bundle.ts (add them there): ${missing.join(", ")}`,
      );
    const problems = await smoke();
    for (const p of problems) failures.push(`the production entry answered wrongly: ${p}`);
    if (!problems.length) console.log("production entry: answers as the tests expect");
    for (const f of failures) console.error(`check-bundle: ${f}`);
    process.exitCode = failures.length ? 1 : 0;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
