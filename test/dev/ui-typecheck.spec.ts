/**
 * The web UI's modules are type-checked (`tsc -p tsconfig.ui.json`, part of `npm run
 * typecheck`): each opts in with `// @ts-check` on its first line, since checkJs is off in that
 * config. Only the modules the config leaves out may go without it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib.ts";

const UI = join(ROOT, "public", "ui");

describe("the web UI's modules", () => {
  it("each start with // @ts-check, but those tsconfig.ui.json excludes", () => {
    const config = JSON.parse(
      readFileSync(join(ROOT, "tsconfig.ui.json"), "utf8").replace(/^\s*\/\/.*$/gm, ""),
    ) as { exclude?: string[] };
    const excluded = new Set(config.exclude ?? []);
    const unchecked = readdirSync(UI)
      .filter((f) => f.endsWith(".js") && !excluded.has(`public/ui/${f}`))
      .filter((f) => !readFileSync(join(UI, f), "utf8").startsWith("// @ts-check\n"));
    expect(unchecked).toEqual([]);
  });
});
