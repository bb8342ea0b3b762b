/**
 * Hostile inputs for the API fuzz test: a seeded PRNG, values derived from the OpenAPI
 * document's JSON schemas (a plausible value per schema, then wrong types, huge, deep, unicode,
 * CR/LF and NUL variants), and a serializer that can splice raw JSON text (10,000-deep nesting,
 * numbers JSON.parse cannot represent) into a body.
 */

/** A JSON schema as the OpenAPI 3.1 document writes it (the parts the fuzzer reads). */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  example?: unknown;
  default?: unknown;
}

/** mulberry32: small, fast and fully determined by its seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    const v = items[this.int(items.length)];
    if (v === undefined) throw new Error("pick from an empty list");
    return v;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Up to `n` distinct items, in a seeded order. */
  sample<T>(items: readonly T[], n: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, n);
  }
}

/** A stable 32-bit seed from a string (FNV-1a). */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** JSON text spliced into a body as is. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** `{"a":{"a":…1…}}`, `depth` levels deep, as text (no recursion on either side). */
export const deepObject = (depth: number) => new RawJson(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
export const deepArray = (depth: number) => new RawJson(`${"[".repeat(depth)}1${"]".repeat(depth)}`);

/** Serializes a value that may contain RawJson pieces. */
export function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v) => {
    if (v instanceof RawJson) {
      raws.push(v.text);
      return `\u0000raw${raws.length - 1}\u0000`;
    }
    return v;
  });
  if (text === undefined) return "null";
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)] ?? "null");
}

/** Strings every text field is tried with. */
export const HOSTILE_STRINGS: readonly string[] = [
  "",
  " ",
  "a\r\nSet-Cookie: pwned=1",
  "line\nbreak",
  "nul\u0000byte",
  "\u0000",
  "\u202Egnp.exe\u202C",
  "שלום עולם",
  "👩‍👩‍👧‍👦🏳️‍🌈",
  "lone \uD800 surrogate",
  "lone \uDFFF low",
  "\u2028\u2029",
  "\uFEFFbom",
  "</script><script>alert(1)</script>",
  "<!--",
  '"><img src=x onerror=alert(1)>',
  "' OR '1'='1' --",
  "../../../../etc/passwd",
  "javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "file:///etc/passwd",
  "http://169.254.169.254/latest/meta-data/",
  "http://[::ffff:127.0.0.1]/",
  "%00%0d%0a",
  "\u0024{jndi:ldap://x}",
  "{{7*7}}",
  "-1",
  "1e400",
  "null",
  "__proto__",
];

/** Values of every JSON type, for "wrong type" and "unexpected value" cases. */
const WRONG_TYPED: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  "",
  "x",
  [],
  [1, "a", null],
  {},
  { nested: { deeper: true } },
  new RawJson("1e400"),
  new RawJson("-0"),
  new RawJson("123456789012345678901234567890"),
  new RawJson('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
];

/** A hostile value for a field of schema `s` (any JSON type, huge, deep, or a hostile string). */
export function hostileValue(rng: Rng, s: JsonSchema | undefined): unknown {
  const roll = rng.int(10);
  if (roll < 3) return rng.pick(HOSTILE_STRINGS);
  if (roll < 6) return rng.pick(WRONG_TYPED);
  if (roll === 6) {
    // Just past the schema's limits, or simply huge.
    const max = s?.maxLength;
    return max !== undefined && rng.chance(0.5) ? "x".repeat(max + 1) : "x".repeat(200_000);
  }
  if (roll === 7) return rng.chance(0.5) ? new Array(60_000).fill(0) : new Array(2_000).fill("x".repeat(50));
  if (roll === 8) return rng.chance(0.7) ? deepObject(10_000) : deepArray(10_000);
  // Wide objects: many keys, odd key names.
  const wide: Record<string, unknown> = {};
  const n = rng.chance(0.5) ? 5_000 : 8;
  for (let i = 0; i < n; i++) wide[i < 8 ? (HOSTILE_STRINGS[i + 2] ?? `k${i}`) : `k${i}`] = i;
  return wide;
}

/** A value of another JSON type than the schema's (a number for a string, a string for a boolean, ...). */
export function wrongType(s: JsonSchema | undefined): unknown {
  const types = Array.isArray(s?.type) ? s.type : s?.type ? [s.type] : [];
  if (types.includes("string")) return types.includes("number") ? [] : 12345;
  if (types.includes("integer") || types.includes("number")) return "12";
  if (types.includes("boolean")) return "true";
  if (types.includes("array")) return { 0: "x" };
  if (types.includes("object")) return ["x"];
  return [[]];
}

export type Resolver = (s: JsonSchema | undefined) => JsonSchema;

/** Follows `$ref`s of the document's components. */
export function resolverFor(doc: { components?: { schemas?: Record<string, JsonSchema> } }): Resolver {
  const resolve = (s: JsonSchema | undefined): JsonSchema => {
    if (!s) return {};
    if (s.$ref) {
      const name = s.$ref.replace("#/components/schemas/", "");
      return resolve(doc.components?.schemas?.[name]);
    }
    return s;
  };
  return resolve;
}

const typeOf = (s: JsonSchema, rng: Rng): string | undefined => {
  if (Array.isArray(s.type)) {
    const nonNull = s.type.filter((t) => t !== "null");
    return nonNull.length ? rng.pick(nonNull) : "null";
  }
  return s.type;
};

/** A plausible (valid-looking) value for schema `s`, so a case can change one thing at a time. */
export function plausible(s0: JsonSchema | undefined, resolve: Resolver, rng: Rng, depth = 0): unknown {
  const s = resolve(s0);
  if (s.example !== undefined && depth > 0) return s.example;
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return rng.pick(s.enum);
  const alts = s.oneOf ?? s.anyOf;
  if (alts?.length) return plausible(rng.pick(alts), resolve, rng, depth);
  if (s.allOf?.length) {
    const out: Record<string, unknown> = {};
    for (const part of s.allOf) Object.assign(out, plausible(part, resolve, rng, depth));
    return out;
  }
  const type = typeOf(s, rng) ?? (s.properties ? "object" : undefined);
  switch (type) {
    case "string": {
      if (s.format === "email") return `fuzz${rng.int(1e6)}@example.com`;
      if (s.format === "uri" || s.format === "url") return "https://api.example.com/v1";
      if (s.format === "uuid") return "00000000-0000-4000-8000-000000000000";
      if (s.format === "date-time") return "2030-01-02T03:04:05.000Z";
      if (s.pattern?.includes("a-z0-9")) return `fz-${rng.int(1e9)}`;
      const base = `fuzz ${rng.int(1e6)}`;
      return base.padEnd(s.minLength ?? 0, "x").slice(0, s.maxLength ?? base.length);
    }
    case "integer":
    case "number":
      return s.minimum ?? (s.maximum !== undefined ? Math.min(1, s.maximum) : 1);
    case "boolean":
      return rng.chance(0.5);
    case "null":
      return null;
    case "array": {
      const n = Math.max(1, s.minItems ?? 0);
      return Array.from({ length: n }, () => plausible(s.items, resolve, rng, depth + 1));
    }
    case "object": {
      const out: Record<string, unknown> = {};
      const required = new Set(s.required ?? []);
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        if (required.has(k) || rng.chance(0.4)) out[k] = plausible(v, resolve, rng, depth + 1);
      }
      return out;
    }
    default:
      return rng.pick(["x", 1, true, { a: 1 }]);
  }
}

/** Query and path values tried for every parameter, already percent-encoded where needed. */
export const HOSTILE_URL_VALUES: readonly string[] = [
  "",
  "%00",
  "a%00b",
  "%0d%0aX-Injected:%201",
  "%0a",
  "%ED%A0%80", // a lone surrogate as UTF-8: invalid
  "%FF%FE",
  "%zz",
  "%",
  "%E0%A4%A",
  encodeURIComponent("\u202Egnp.exe"),
  encodeURIComponent("👩‍👩‍👧‍👦"),
  encodeURIComponent("' OR 1=1 --"),
  encodeURIComponent("<script>alert(1)</script>"),
  "..%2F..%2Fadmin",
  "%2E%2E",
  "-1",
  "0",
  "1e309",
  "99999999999999999999999",
  "NaN",
  "true",
  "null",
  "[]",
  "a".repeat(4_096),
  "00000000-0000-0000-0000-000000000000",
];
