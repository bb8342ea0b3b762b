/**
 * Every provider of the catalog has its logo at public/ui/logos/<id>.svg, as the web UI shows
 * it beside the provider's name: a small self-contained SVG (viewBox, 32×32, role="img", a
 * <title> with the provider's display name), with no script, no event handler and nothing
 * loaded from elsewhere. The ids are the keys of PROVIDER_MODULES (src/providers/all.ts); the
 * display names are the provider modules' own.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error jsdom ships no type declarations (and @types/jsdom is not installed)
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib.ts";

const LOGOS = join(ROOT, "public", "ui", "logos");
const all = readFileSync(join(ROOT, "src", "providers", "all.ts"), "utf8");
const ids = [...(/PROVIDER_MODULES = \{([^}]*)\}/.exec(all)?.[1] ?? "").matchAll(/^\s*(\w+),?$/gm)].map(
  (m) => m[1] ?? "",
);

/** A provider module's `displayName`. */
function displayName(id: string): string | undefined {
  const source = readFileSync(join(ROOT, "src", "providers", id, "index.ts"), "utf8");
  return /displayName: "([^"]+)"/.exec(source)?.[1];
}

describe("provider logos", () => {
  it("are read for the whole catalog", () => {
    expect(ids.length).toBeGreaterThan(20);
    expect(ids).toContain("other");
    expect(ids).toContain("signup_page");
  });

  it.each(ids)("%s has a small, self-contained SVG logo titled with its name", (id) => {
    const file = join(LOGOS, `${id}.svg`);
    expect(existsSync(file), `${file} exists`).toBe(true);
    const text = readFileSync(file, "utf8");
    expect(Buffer.byteLength(text)).toBeLessThan(1536);
    const doc = new new JSDOM("").window.DOMParser().parseFromString(text, "image/svg+xml");
    expect(doc.querySelector("parsererror")).toBeNull();
    const svg = doc.documentElement;
    expect(svg.localName).toBe("svg");
    expect(svg.namespaceURI).toBe("http://www.w3.org/2000/svg");
    expect(svg.getAttribute("viewBox")).toMatch(/^0 0 \d+ \d+$/);
    expect([svg.getAttribute("width"), svg.getAttribute("height")]).toEqual(["32", "32"]);
    expect(svg.getAttribute("role")).toBe("img");
    expect(svg.querySelector("title")?.textContent).toBe(displayName(id));
    expect(svg.querySelectorAll("script, foreignObject, image, use, style, a")).toHaveLength(0);
    for (const el of [svg, ...svg.querySelectorAll("*")])
      for (const attr of el.attributes) {
        expect(attr.name, `${id}: ${el.localName} ${attr.name}`).not.toMatch(/^on|href$/i);
        expect(attr.value, `${id}: ${el.localName} ${attr.name}`).not.toMatch(/url\(|javascript:/i);
      }
  });

  it("are only the catalog's", () => {
    expect(readdirSync(LOGOS).sort()).toEqual(ids.map((id) => `${id}.svg`).sort());
  });
});
