/** The subset of the QBO query language (`SELECT * FROM Customer WHERE ...`) the simulator understands. */
import { BY_NAME, type Entity } from "./entities.ts";
import { fault, parserError } from "./faults.ts";

export interface Query {
  name: string;
  entity: Entity;
  active: "true" | "false" | "all";
  time: { op: string; ms: number }[];
  /** `Id IN ('1', '2')`: only these ids. */
  ids: string[] | null;
  orderBy: "id" | "time";
  desc: boolean;
  start: number;
  max: number;
}

/** Parses the subset of the QBO query language the hub and tests use. */
export function parseQuery(text: string): Query | Response {
  const m = text
    .trim()
    .match(
      /^select\s+\*\s+from\s+(\w+)(?:\s+where\s+(.+?))?(?:\s+orderby\s+([\w.]+)(?:\s+(asc|desc))?)?(?:\s+startposition\s+(\d+))?(?:\s+maxresults\s+(\d+))?$/i,
    );
  if (!m?.[1]) return parserError(`Encountered " <IDENTIFIER> "${text.slice(0, 40)}"" at line 1`);
  const target = BY_NAME[m[1].toLowerCase()];
  if (!target)
    return fault(
      400,
      "4001",
      "Invalid query",
      `QueryValidationError: Entity ${m[1]} not found`,
      "ValidationFault",
    );
  const q: Query = {
    name: target.name,
    entity: target.entity,
    active: "true",
    time: [],
    ids: null,
    orderBy: (m[3] ?? "Id").toLowerCase() === "id" ? "id" : "time",
    desc: (m[4] ?? "").toLowerCase() === "desc",
    start: Math.max(1, Number(m[5] ?? 1)),
    max: Math.min(1000, Math.max(1, Number(m[6] ?? 100))),
  };
  if (m[3] && !/^(id|metadata\.lastupdatedtime)$/i.test(m[3])) return parserError(`unknown ORDERBY ${m[3]}`);
  for (const cond of m[2] ? m[2].split(/\s+and\s+/i) : []) {
    const c = cond.trim();
    const active = c.match(/^active\s*=\s*(true|false)$/i);
    const time = c.match(/^metadata\.lastupdatedtime\s*(>=|<=|>|<|=)\s*'([^']+)'$/i);
    const ids = c.match(/^id\s+in\s*\(([^)]*)\)$/i);
    if (/^active\s+in\s*\(\s*(true\s*,\s*false|false\s*,\s*true)\s*\)$/i.test(c)) q.active = "all";
    else if (ids) {
      const list = (ids[1] ?? "").split(",").map((v) => v.trim().match(/^'(\d+)'$/)?.[1]);
      if (!list.length || list.some((v) => v === undefined))
        return parserError(`invalid id list ${c.slice(0, 40)}`);
      q.ids = list as string[];
    } else if (active) q.active = active[1]?.toLowerCase() === "false" ? "false" : "true";
    else if (time) {
      const ms = Date.parse(time[2] ?? "");
      if (!Number.isFinite(ms)) return parserError(`invalid date ${time[2]}`);
      q.time.push({ op: time[1] ?? ">", ms });
    } else return parserError(`Encountered "${c.slice(0, 40)}" at line 1`);
  }
  return q;
}

export const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  "=": (a, b) => a === b,
};
