/**
 * The README's "Providers" table claims exactly what the catalog says each provider can do: the
 * same providers in the same order, and per provider its category, auth kind, the field 004's
 * `token` fills, its required fields (🔒 where secret) and its capabilities, which the registry
 * derives from the hooks the module defines. A capability added or removed without the README
 * (or the other way round) fails here.
 */
import { describe, expect, it } from "vitest";
import readme from "../../README.md?raw";
import { PROVIDER_IDS, PROVIDERS } from "../../src/providers/registry.ts";
import type { Provider } from "../../src/providers/types.ts";

/** The rows of the table under `## Providers`, as cells without the backticks. */
function readmeRows(): string[][] {
  const section = readme.split(/^## Providers\s*$/m)[1]?.split(/^## /m)[0] ?? "";
  return section
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .slice(2) // the header and its rule
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim().replaceAll("`", "")),
    );
}

/** How the README words a provider's capabilities. */
function capabilityText(p: Provider): string {
  const c = p.capabilities;
  const parts: string[] = [];
  if (c.test) parts.push("test");
  if (c.send.length) parts.push(`send (${c.send.join(", ")})`);
  // `webhook_setup: "register"`: the hub points the provider's account webhooks at itself.
  if (c.webhooks)
    parts.push(c.webhook_setup === "register" ? "webhooks (registered by the hub)" : "webhooks");
  if (c.oauth) parts.push("OAuth");
  const push = c.push ?? [];
  if (c.sync.length) {
    const all = push.length === c.sync.length && push.every((e, i) => e === c.sync[i]);
    parts.push(all ? `sync and push (${c.sync.join(", ")})` : `sync (${c.sync.join(", ")})`);
    if (push.length && !all) parts.push(`push (${push.join(", ")})`);
  }
  // The calendar hook answers free/busy ("availability"); its `watch` opens push channels.
  if (c.calendar) parts.push("availability");
  if (p.calendar?.watch) parts.push("watch");
  // `accounts: "Pages"`: the user picks the one the integration works with.
  if (c.accounts) parts.push(`choose a ${c.accounts.replace(/s$/, "")}`);
  return parts.join("; ");
}

const requiredText = (p: Provider) =>
  p.fields
    .filter((f) => f.required)
    .map((f) => `${f.name}${f.secret ? "🔒" : ""}`)
    .join(", ") || "—";

describe("README provider table", () => {
  it("lists every provider of the catalog, in catalog order", () => {
    expect(readmeRows().map((r) => r[0])).toEqual([...PROVIDER_IDS]);
  });

  it("claims for each provider exactly the category, auth, token field, required fields and capabilities it has", () => {
    const byId = new Map(readmeRows().map((r) => [r[0], r]));
    for (const id of PROVIDER_IDS) {
      const p = PROVIDERS[id];
      const expected = [
        id,
        p.category,
        p.authKind,
        p.authKind === "none" ? "—" : p.tokenField,
        requiredText(p),
        capabilityText(p),
      ];
      expect(byId.get(id), id).toEqual(expected);
    }
  });
});
