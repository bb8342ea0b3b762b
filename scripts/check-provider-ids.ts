/**
 * A provider is one folder: fails (exit 1) when a provider id is written as a string outside
 * `src/providers/` and the simulator's per-provider files. Run by `npm run lint`.
 *
 * The ids are the catalog's (the keys of `PROVIDER_MODULES` in src/providers/all.ts, read from
 * its source).
 * A string counts when its whole value is an id, or an id followed by `:` (an address prefix
 * such as `whatsapp:`); a regular expression counts when it names an id as a word. Prose that
 * merely mentions a provider (a description, a comment) does not count: comments are not read.
 *
 * Allowed, each for the reason given (anything else found fails the check):
 * - OpenAPI `example` values: documentation of a request, not behaviour;
 * - the entries of KNOWN below, each with its file, the number of occurrences it may not exceed
 *   and why it stays.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const ROOT = join(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

/** Where provider knowledge belongs: the provider modules, and the simulator's own per-provider files. */
const OWN = [/^src\/providers\//, /^src\/sandbox\/providers\//, /^src\/sandbox\/webhooks\/[a-z0-9_]+\.ts$/];

/** Occurrences that stay for now, by file: at most `max`, for the reason given. */
const KNOWN: Record<string, { max: number; why: string }> = {
  // `encoding: "other"` is a request body's encoding (neither JSON nor a form), not the provider.
  "src/sandbox/lib.ts": { max: 2, why: "the word `other` as a body encoding" },
};

/** The catalog's provider ids: the keys of the `PROVIDER_MODULES` object literal, in order. */
export function catalogIds(source: string): string[] {
  const file = ts.createSourceFile("all.ts", source, ts.ScriptTarget.Latest, true);
  let ids: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isVariableDeclaration(node) &&
      node.name.getText(file) === "PROVIDER_MODULES" &&
      node.initializer
    ) {
      let init: ts.Expression = node.initializer;
      while (ts.isAsExpression(init) || ts.isSatisfiesExpression(init)) init = init.expression;
      if (ts.isObjectLiteralExpression(init))
        ids = init.properties.flatMap((p) =>
          (ts.isShorthandPropertyAssignment(p) || ts.isPropertyAssignment(p)) &&
          (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))
            ? [p.name.text]
            : [],
        );
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return ids;
}

export interface Finding {
  line: number;
  text: string;
}

/** True inside the value of an `example` or `examples` property (at any depth of that value). */
const isExampleValue = (node: ts.Node): boolean => {
  for (let n: ts.Node = node; n.parent; n = n.parent) {
    const p = n.parent;
    if (ts.isPropertyAssignment(p) && p.initializer === n) {
      if (/^examples?$/.test(p.name.getText(n.getSourceFile()))) return true;
      continue;
    }
    if (!ts.isArrayLiteralExpression(p) && !ts.isObjectLiteralExpression(p)) return false;
  }
  return false;
};

/** The literals in `source` that name one of `ids` (see the header for what counts). */
export function providerLiterals(source: string, ids: readonly string[], name = "file.ts"): Finding[] {
  const file = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true);
  const set = new Set(ids);
  const word = new RegExp(`(^|[^A-Za-z0-9_])(${ids.join("|")})([^A-Za-z0-9_]|$)`);
  const found: Finding[] = [];
  const add = (node: ts.Node) =>
    found.push({
      line: file.getLineAndCharacterOfPosition(node.getStart()).line + 1,
      text: node.getText(file),
    });
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteralLike(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      const v = node.text;
      const named = set.has(v) || [...set].some((id) => v.startsWith(`${id}:`));
      if (named && !isExampleValue(node)) add(node);
    } else if (node.kind === ts.SyntaxKind.RegularExpressionLiteral && word.test(node.getText(file))) {
      add(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|js)$/.test(e.name) ? [path] : [];
  });
}

function selfTest(ids: readonly string[]) {
  const [id] = ids;
  if (!id || ids.length < 2) throw new Error("could not read PROVIDER_MODULES from src/providers/all.ts");
  const positives = [
    `const x = "${id}";`,
    `if (p === '${id}') {}`,
    `const t = \`${id}\`;`,
    `s.replace(/^${id}:/, "")`,
    `const a = "${id}:+1555";`,
  ];
  for (const code of positives)
    if (providerLiterals(code, ids).length !== 1) throw new Error(`the check misses: ${code}`);
  const negatives = [
    `// "${id}"`,
    `const d = "For ${id}, a token";`,
    `z.string().openapi({ example: "${id}" })`,
  ];
  for (const code of negatives)
    if (providerLiterals(code, ids).length) throw new Error(`the check wrongly flags: ${code}`);
}

function main() {
  const ids = catalogIds(readFileSync(join(SRC, "providers", "all.ts"), "utf8"));
  selfTest(ids);
  const folders = readdirSync(join(SRC, "providers"), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const problems: string[] = [];
  if (folders.join() !== [...ids].sort().join())
    problems.push(
      `src/providers/ folders (${folders.join(", ")}) differ from PROVIDER_MODULES in src/providers/all.ts (${ids.join(", ")})`,
    );
  for (const path of sourceFiles(SRC)) {
    const rel = relative(ROOT, path).split("\\").join("/");
    if (OWN.some((re) => re.test(rel))) continue;
    const found = providerLiterals(readFileSync(path, "utf8"), ids, rel);
    const known = KNOWN[rel];
    if (known && found.length <= known.max) continue;
    for (const f of found) problems.push(`${rel}:${f.line}: provider id in ${f.text}`);
  }
  if (problems.length) {
    console.error(
      "Provider knowledge outside src/providers/ (declare it as a hook of the provider module):\n" +
        problems.join("\n"),
    );
    process.exit(1);
  }
  console.log(`provider ids: ${ids.length} providers, none named outside src/providers/`);
}

main();
