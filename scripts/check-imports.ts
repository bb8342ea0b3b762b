/**
 * Import rules that keep the layers apart: fails (exit 1) when a relative import cycle goes
 * through a module that everything else depends on (src/context.ts, src/errors.ts), or when a
 * module of src/crypto/ imports a domain table (src/db/). Type-only imports count: a cycle of
 * types is still a cycle for a reader. Run by `npm run lint`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

/** Modules no import cycle may pass through. */
const ACYCLIC = ["src/context.ts", "src/errors.ts"];
/** Folders whose modules may not import from the listed folder. */
const FORBIDDEN: { from: string; to: string; why: string }[] = [
  { from: "src/crypto/", to: "src/db/", why: "the vault reaches its rows through VaultStore" },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

/** The relative modules a source imports or re-exports, as paths from the repository root. */
export function importsOf(source: string, file: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gms))
    if (m[1])
      out.push(
        relative(ROOT, resolve(dirname(join(ROOT, file)), m[1]))
          .split("\\")
          .join("/"),
      );
  return out;
}

/** A cycle from `start` back to itself, as a list of modules, or null. */
export function cycleThrough(start: string, graph: Map<string, string[]>): string[] | null {
  const seen = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): boolean => {
    for (const next of graph.get(node) ?? []) {
      if (next === start) {
        path.push(next);
        return true;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      path.push(next);
      if (visit(next)) return true;
      path.pop();
    }
    return false;
  };
  return visit(start) ? [start, ...path] : null;
}

function selfTest() {
  const g = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["c.ts"]],
    ["c.ts", ["a.ts"]],
    ["d.ts", ["a.ts"]],
  ]);
  if (cycleThrough("a.ts", g)?.join() !== "a.ts,b.ts,c.ts,a.ts") throw new Error("the check misses a cycle");
  if (cycleThrough("d.ts", g)) throw new Error("the check wrongly reports a cycle");
  const found = importsOf('import type { X } from "../y.ts";\nexport { z } from "./z.ts";', "src/a/b.ts");
  if (found.join() !== "src/y.ts,src/a/z.ts") throw new Error(`the check misreads imports: ${found.join()}`);
}

function main() {
  selfTest();
  const graph = new Map<string, string[]>();
  for (const path of sourceFiles(SRC)) {
    const rel = relative(ROOT, path).split("\\").join("/");
    graph.set(rel, importsOf(readFileSync(path, "utf8"), rel));
  }
  const problems: string[] = [];
  for (const start of ACYCLIC) {
    const cycle = cycleThrough(start, graph);
    if (cycle) problems.push(`import cycle: ${cycle.join(" -> ")}`);
  }
  for (const [file, deps] of graph)
    for (const rule of FORBIDDEN)
      if (file.startsWith(rule.from))
        for (const dep of deps)
          if (dep.startsWith(rule.to)) problems.push(`${file} imports ${dep} (${rule.why})`);
  if (problems.length) {
    console.error(`Import rules broken:\n${problems.join("\n")}`);
    process.exit(1);
  }
  console.log(
    `imports: ${graph.size} modules, no cycle through ${ACYCLIC.join(" or ")}, crypto knows no table`,
  );
}

main();
