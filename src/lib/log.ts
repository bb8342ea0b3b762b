/**
 * Structured JSON logs, one object per line, each with the request (or job) id. Field values
 * whose names look secret are masked, and credential shapes in any string are removed
 * (lib/redact.ts), before anything is written.
 */
import { redactTokens } from "./redact.ts";

export type Fields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  with(fields: Fields): Logger;
}

const SECRET_KEY_RE = /secret|token|password|passwd|authorization|api[_-]?key|private|credential|cookie/i;
export const MASK = "••••••";

/** Deep copy with every value under a secret-looking key masked and credential shapes removed. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactTokens(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY_RE.test(k) && v !== null && v !== undefined && v !== "" ? MASK : redact(v, depth + 1);
  }
  return out;
}

export function createLogger(base: Fields = {}): Logger {
  const write = (level: string, msg: string, fields?: Fields) => {
    const line = JSON.stringify({
      ts: new Date().toISOString(),
      level,
      msg: redactTokens(msg),
      ...base,
      ...(redact(fields) as Fields),
    });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    with: (f) => createLogger({ ...base, ...f }),
  };
}
