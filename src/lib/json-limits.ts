/**
 * Bounds for free-form JSON a client may store (config, credentials, `extra`, provider json
 * fields, pushed record data): nesting depth, keys per object, entries in all, key and string
 * length. `limitJson` applies them to a zod schema at the edge (a 400 naming the field);
 * `clampJson` makes a stored value that exceeds them safe to show. Both walk without recursion
 * deeper than the depth limit, so a value nested 10,000 deep cannot exhaust the stack.
 */
import type { z } from "zod";

export interface JsonLimits {
  /** Levels of objects and arrays; the value itself is level 1 when it is one. */
  depth: number;
  /** Keys of one object or items of one array. */
  keys: number;
  /** Keys and items in the whole value. */
  entries: number;
  /** Characters in one string value. */
  stringLength: number;
  /** Characters in one key. */
  keyLength: number;
}

export const JSON_LIMITS: JsonLimits = {
  depth: 32,
  keys: 1000,
  entries: 10_000,
  stringLength: 65_536,
  keyLength: 256,
};

export interface JsonProblem {
  /** Where, below the checked value. */
  path: (string | number)[];
  message: string;
}

const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] =>
  typeof v === "object" && v !== null;

/** The first way `value` exceeds `limits`, or null when it fits. */
export function jsonProblem(value: unknown, limits: JsonLimits = JSON_LIMITS): JsonProblem | null {
  const stack: { v: unknown; depth: number; path: (string | number)[] }[] = [
    { v: value, depth: 1, path: [] },
  ];
  let entries = 0;
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { v, depth, path } = item;
    if (typeof v === "string") {
      if (v.length > limits.stringLength)
        return { path, message: `is too long (${limits.stringLength} characters at most)` };
      continue;
    }
    if (!isContainer(v)) continue;
    // Depth is reported on the field itself: the path to the 33rd level says nothing useful.
    if (depth > limits.depth)
      return { path: [], message: `is nested too deeply (${limits.depth} levels at most)` };
    const pairs: [string | number, unknown][] = Array.isArray(v)
      ? v.map((x, i) => [i, x])
      : Object.entries(v);
    if (pairs.length > limits.keys) return { path, message: `has too many keys (${limits.keys} at most)` };
    entries += pairs.length;
    if (entries > limits.entries)
      return { path: [], message: `has too many entries (${limits.entries} at most)` };
    for (const [k, x] of pairs) {
      if (typeof k === "string" && k.length > limits.keyLength)
        return { path, message: `has a key over ${limits.keyLength} characters` };
      stack.push({ v: x, depth: depth + 1, path: [...path, k] });
    }
  }
  return null;
}

/** `schema` that also refuses a value exceeding the limits, with an issue at the offending path. */
export function limitJson<T extends z.ZodType>(schema: T, limits: JsonLimits = JSON_LIMITS): T {
  return schema.superRefine((value, ctx) => {
    const problem = jsonProblem(value, limits);
    if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
  });
}

/**
 * `value` cut down to the limits, for showing stored data written before they applied: levels
 * past the depth become null, extra keys are dropped, long strings are cut. A value that fits
 * comes back as it is.
 */
export function clampJson<T>(value: T, limits: JsonLimits = JSON_LIMITS): T {
  if (!jsonProblem(value, limits)) return value;
  let entries = 0;
  const clamp = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return v.length > limits.stringLength ? v.slice(0, limits.stringLength) : v;
    if (!isContainer(v)) return v;
    if (depth > limits.depth) return null;
    if (Array.isArray(v)) {
      const items = v.slice(0, Math.max(0, Math.min(limits.keys, limits.entries - entries)));
      entries += items.length;
      return items.map((x) => clamp(x, depth + 1));
    }
    const out: Record<string, unknown> = {};
    let kept = 0;
    for (const [k, x] of Object.entries(v)) {
      if (kept >= limits.keys || entries >= limits.entries) break;
      if (k.length > limits.keyLength) continue;
      kept++;
      entries++;
      out[k] = clamp(x, depth + 1);
    }
    return out;
  };
  return clamp(value, 1) as T;
}
