/**
 * The create form's placeholders are credentials the sandbox accepts: for every provider with a
 * test call and no OAuth, an integration made of nothing but what its form shows (each required
 * and secret field's default, else its placeholder) is created and passes test connection
 * against the simulator. So
 * a new user on `npm run dev` can fill a form from what it shows and see it work.
 */
import { describe, expect, it } from "vitest";
import { call, newOrg } from "../harness.ts";

interface Field {
  name: string;
  required: boolean;
  secret: boolean;
  type: string;
  placeholder?: string;
  default?: string | number | boolean;
  options?: string[];
  location?: string;
}
interface Entry {
  id: string;
  auth_kind: string;
  fields: Field[];
  capabilities: { test: boolean; oauth: boolean };
}

/** What the form starts a field with (its default or first option), else what it shows as a placeholder. */
const formValue = (f: Field) => f.default ?? f.options?.[0] ?? f.placeholder;

const catalog = async () => (await call("GET", "/api/integrations/providers")).json.providers as Entry[];

describe("the catalog's placeholders", async () => {
  // SMTP has no simulator: it opens a socket to the integration's own host (tested against
  // real servers in smtp.test.ts), so no placeholder host could answer.
  const testable = (await catalog()).filter(
    (p) => p.capabilities.test && !p.capabilities.oauth && p.id !== "smtp",
  );

  it("cover every required field of a testable provider", () => {
    const missing = testable.flatMap((p) =>
      p.fields.filter((f) => f.required && formValue(f) === undefined).map((f) => `${p.id}.${f.name}`),
    );
    expect(missing).toEqual([]);
  });

  it.each(testable.map((p) => [p.id, p] as const))(
    "%s: the placeholders pass test connection",
    async (id, p) => {
      const org = await newOrg();
      const body: Record<string, unknown> = { provider: id, name: `From placeholders ${id}` };
      const config: Record<string, unknown> = {};
      for (const f of p.fields) {
        const value = formValue(f);
        if (value === undefined || !(f.required || f.secret)) continue;
        if (f.location === "integration") body[f.name] = value;
        else config[f.name] = value;
      }
      body.config = config;
      const made = await call("POST", "/api/integrations", { key: org.adminKey, body });
      expect(made.status, made.text).toBe(201);
      const tested = await call("POST", `/api/integrations/${made.json.integration.id}/test`, {
        key: org.adminKey,
      });
      expect(tested.status, tested.text).toBe(200);
      expect(tested.json.ok, tested.text).toBe(true);
    },
  );
});
