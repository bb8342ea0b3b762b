/**
 * public/openapi.json under Redocly's recommended rules (redocly.yaml; the accepted exceptions,
 * each with its reason, in .redocly.lint-ignore.yaml): no error and no warning. Also what the
 * rules leave to us: every operation has a unique `operationId` and a tag, and every 4xx
 * response of a JSON route carries the error schema.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lint, loadConfig } from "@redocly/openapi-core";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib.ts";

const FILE = join(ROOT, "public", "openapi.json");
const METHODS = ["get", "put", "post", "delete", "patch", "head"];

interface Operation {
  operationId?: string;
  tags?: string[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

describe("the OpenAPI document", () => {
  it("is clean under Redocly's recommended rules", async () => {
    const config = await loadConfig({ configPath: join(ROOT, "redocly.yaml") });
    const problems = (await lint({ ref: FILE, config })).filter((p) => !p.ignored);
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} ${p.location[0]?.pointer}`)).toEqual(
      [],
    );
  });

  it("names and tags every operation, and describes its errors with the error schema", () => {
    const doc = JSON.parse(readFileSync(FILE, "utf8")) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths))
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z0-9]+$/);
        ids.push(op.operationId as string);
        expect(op.tags?.length, `${method} ${path} has a tag`).toBeGreaterThan(0);
        for (const [code, res] of Object.entries(op.responses)) {
          const json = res.content?.["application/json"];
          if (/^4/.test(code) && json)
            expect(json.schema?.$ref, `${method} ${path} ${code}`).toBe("#/components/schemas/Error");
        }
      }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(90);
  });
});
