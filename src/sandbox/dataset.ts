/**
 * The sandbox's synced data: for each simulated provider account and entity, a deterministic
 * set of items (a few thousand by default) that the list endpoints page through, with modified
 * times for modified-since filters, soft deletions for tombstone feeds, and hard deletions for
 * providers that keep none. Items are generated from their index, so 50,000 of them cost a
 * small array until a page asks for their fields.
 *
 * Control endpoints (mounted at /sandbox/_data):
 * - `POST /{provider}/{entity}` `{account, count?, touch?, remove?, purge?, create?}` sets the size, changes
 *   the first `touch` live items, soft-deletes `remove` more (tombstones), hard-deletes `purge`
 *   more (gone without trace), appends `create` new ones; answers what changed.
 * - `POST /{provider}/_faults` `{status, count, retry_after?}` makes the next `count` list calls of
 *   the provider fail with `status` (429 carries Retry-After).
 * - `GET /_stats` requests, 429s and per-account request counts per provider; `DELETE /_stats` resets.
 * - `GET /{provider}/{entity}?account=` the items as stored (for tests), `?created=` items pushed.
 */
import { Hono } from "hono";

/** Generic fields every provider's simulator maps onto its own wire shape. */
export interface ItemFields {
  /** 1-based index; providers derive their ids from it. */
  n: number;
  name: string;
  firstName: string;
  lastName: string;
  company: string;
  email: string;
  phone: string;
  street: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
  sku: string;
  price: number;
  currency: string;
  /** Invoices: the customer's index, dates, status and lines. */
  customerN: number;
  issueDate: string;
  dueDate: string;
  status: "draft" | "open" | "paid" | "void";
  lines: { description: string; sku: string; quantity: number; unitPrice: number }[];
  total: number;
  /** Bumped each time the item is changed. */
  version: number;
}

export interface DatasetItem {
  n: number;
  createdAt: number;
  modifiedAt: number;
  /** Soft-deleted: still listed where the provider lists tombstones (archived, IsDeleted, DELETED). */
  deleted: boolean;
  fields: ItemFields;
  /** Items created by a push keep what the client sent, in the provider's shape. */
  body?: Record<string, unknown>;
}

interface Entry {
  n: number;
  createdAt: number;
  modifiedAt: number;
  deleted: boolean;
  version: number;
  body?: Record<string, unknown>;
}

/** Items of one account and entity. */
export class Dataset {
  private entries: Entry[] = [];
  private sorted: Entry[] | null = null;
  private nextN = 1;

  constructor(count: number) {
    this.resize(count);
  }

  /** Base items are modified one second apart from this instant on. */
  static readonly BASE = Date.UTC(2026, 0, 1);

  resize(count: number) {
    if (count < this.entries.length) {
      this.entries.length = count;
      this.nextN = (this.entries.at(-1)?.n ?? 0) + 1;
    }
    while (this.entries.length < count) {
      const n = this.nextN++;
      const t = Dataset.BASE + n * 1000;
      this.entries.push({ n, createdAt: t, modifiedAt: t, deleted: false, version: 1 });
    }
    this.sorted = null;
  }

  get size() {
    return this.entries.length;
  }

  /** Items in index order (ids ascend), optionally only live ones, modified after `sinceMs`. */
  list(opts: { sinceMs?: number | null; includeDeleted?: boolean; byModified?: boolean } = {}): Entry[] {
    const since = opts.sinceMs ?? null;
    let out = opts.includeDeleted ? this.entries : this.entries.filter((e) => !e.deleted);
    if (since !== null) out = out.filter((e) => e.modifiedAt > since);
    if (opts.byModified) {
      if (since === null && opts.includeDeleted) {
        this.sorted ??= [...this.entries].sort((a, b) => a.modifiedAt - b.modifiedAt || a.n - b.n);
        return this.sorted;
      }
      out = [...out].sort((a, b) => a.modifiedAt - b.modifiedAt || a.n - b.n);
    }
    return out;
  }

  get(n: number): Entry | undefined {
    return this.entries.find((e) => e.n === n);
  }

  /** Changes the first `k` live items (a new version, modified now). */
  touch(k: number, now = Date.now()): number[] {
    const changed: number[] = [];
    for (const e of this.entries) {
      if (changed.length >= k) break;
      if (e.deleted) continue;
      e.version++;
      e.modifiedAt = now;
      changed.push(e.n);
    }
    this.sorted = null;
    return changed;
  }

  /** Soft-deletes the last `k` live items. */
  remove(k: number, now = Date.now()): number[] {
    const removed: number[] = [];
    for (let i = this.entries.length - 1; i >= 0 && removed.length < k; i--) {
      const e = this.entries[i];
      if (!e || e.deleted) continue;
      e.deleted = true;
      e.modifiedAt = now;
      removed.push(e.n);
    }
    this.sorted = null;
    return removed;
  }

  /** Hard-deletes the last `k` live items: gone from every listing. */
  purge(k: number): number[] {
    const gone: number[] = [];
    for (let i = this.entries.length - 1; i >= 0 && gone.length < k; i--) {
      const e = this.entries[i];
      if (!e || e.deleted) continue;
      gone.push(e.n);
      this.entries.splice(i, 1);
    }
    this.sorted = null;
    return gone;
  }

  /** Appends `k` new items modified now; `body` keeps a pushed item's own fields. */
  create(k: number, now = Date.now(), body?: Record<string, unknown>): number[] {
    const made: number[] = [];
    for (let i = 0; i < k; i++) {
      const n = this.nextN++;
      this.entries.push({ n, createdAt: now, modifiedAt: now, deleted: false, version: 1, body });
      made.push(n);
    }
    this.sorted = null;
    return made;
  }

  /** Replaces a pushed or generated item's fields (an update from the hub). */
  update(n: number, body: Record<string, unknown>, now = Date.now()): Entry | undefined {
    const e = this.get(n);
    if (!e || e.deleted) return undefined;
    e.body = { ...(e.body ?? {}), ...body };
    e.version++;
    e.modifiedAt = now;
    this.sorted = null;
    return e;
  }
}

/** How many items an account's entity has until a test or the dev script sets it. */
export const DEFAULT_COUNT = 2500;

const datasets = new Map<string, Dataset>();
const key = (provider: string, account: string, entity: string) => `${provider}\n${account}\n${entity}`;

/** The dataset of one simulated account's entity, created with the default size on first use. */
export function dataset(provider: string, account: string, entity: string): Dataset {
  const k = key(provider, account, entity);
  let d = datasets.get(k);
  if (!d) {
    d = new Dataset(DEFAULT_COUNT);
    datasets.set(k, d);
  }
  return d;
}

const FIRST = ["Aisha", "Ben", "Chen", "Dewi", "Eli", "Farah", "Goh", "Hana", "Ivan", "Jia", "Kumar", "Lina"];
const LAST = ["Tan", "Lim", "Wong", "Rahman", "Smith", "Garcia", "Ng", "Lee", "Singh", "Ali", "Chua", "Ong"];
const CITIES: [string, string, string][] = [
  ["Kuala Lumpur", "WP Kuala Lumpur", "MY"],
  ["Singapore", "Singapore", "SG"],
  ["Austin", "TX", "US"],
  ["London", "England", "GB"],
];
const PRODUCTS = ["Widget", "Gadget", "Sprocket", "Bracket", "Valve", "Sensor", "Cable", "Panel"];
const STATUSES: ItemFields["status"][] = ["paid", "open", "open", "paid", "draft", "void"];

const pad = (n: number, w = 5) => String(n).padStart(w, "0");
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The generic fields of item `n` at `version` (deterministic). */
export function fieldsOf(n: number, version = 1): ItemFields {
  const first = FIRST[n % FIRST.length] ?? "Ali";
  const last = LAST[(n * 7) % LAST.length] ?? "Tan";
  const [city, region, country] = CITIES[n % CITIES.length] ?? CITIES[0] ?? ["", "", ""];
  const suffix = version > 1 ? ` v${version}` : "";
  const price = Math.round(((n * 37) % 9000) + 100) / 100 + (version - 1);
  const quantity = (n % 4) + 1;
  const issued = Dataset.BASE + (n % 300) * 86_400_000;
  const lines = [
    {
      description: `${PRODUCTS[n % PRODUCTS.length]} ${pad(n)}`,
      sku: `SKU-${pad(n)}`,
      quantity,
      unitPrice: price,
    },
  ];
  return {
    n,
    name: `${first} ${last} ${pad(n)}${suffix}`,
    firstName: first,
    lastName: `${last} ${pad(n)}${suffix}`,
    company: `${last} Trading ${pad(n)}${suffix} Sdn Bhd`,
    email: `${first.toLowerCase()}.${pad(n)}@example.com`,
    phone: `+6012${pad(n, 7)}`,
    street: `${(n % 200) + 1} Jalan Sandbox`,
    city,
    region,
    postalCode: pad((n * 13) % 99999),
    country,
    sku: `SKU-${pad(n)}`,
    price,
    currency: "USD",
    customerN: ((n - 1) % 1000) + 1,
    issueDate: date(issued),
    dueDate: date(issued + 30 * 86_400_000),
    status: STATUSES[n % STATUSES.length] ?? "open",
    lines,
    total: Math.round(quantity * price * 100) / 100,
    version,
  };
}

/** An entry with its generated fields. */
export function itemOf(e: Entry): DatasetItem {
  return {
    n: e.n,
    createdAt: e.createdAt,
    modifiedAt: e.modifiedAt,
    deleted: e.deleted,
    fields: fieldsOf(e.n, e.version),
    body: e.body,
  };
}

// ---------------------------------------------------------------------------------------------
// Faults and request statistics.

interface Fault {
  status: number;
  remaining: number;
  retryAfter: number;
}

const faults = new Map<string, Fault>();

/**
 * The fault armed for a provider's next list call, consumed. Simulators call this first in
 * every list endpoint and answer with their own error body for the status.
 */
export function takeFault(provider: string): { status: number; retryAfter: number } | null {
  const f = faults.get(provider);
  if (!f || f.remaining <= 0) return null;
  f.remaining--;
  if (f.remaining <= 0) faults.delete(provider);
  return { status: f.status, retryAfter: f.retryAfter };
}

interface Stats {
  requests: number;
  rateLimited: number;
  byAccount: Record<string, number>;
}
const stats = new Map<string, Stats>();
/** Recent request times per provider account, for the simulated rate limits. */
const windows = new Map<string, number[]>();

/**
 * Counts a request to a provider account and says whether it exceeds the provider's limit of
 * `limit` requests in a rolling `windowMs` (the caller then answers its provider's 429).
 */
export function countRequest(provider: string, account: string, limit?: number, windowMs?: number): boolean {
  const s = stats.get(provider) ?? { requests: 0, rateLimited: 0, byAccount: {} };
  stats.set(provider, s);
  s.requests++;
  s.byAccount[account] = (s.byAccount[account] ?? 0) + 1;
  if (!limit || !windowMs) return false;
  const now = Date.now();
  const k = `${provider}\n${account}`;
  const times = (windows.get(k) ?? []).filter((t) => t > now - windowMs);
  const over = times.length >= limit;
  if (!over) times.push(now);
  windows.set(k, times);
  if (over) s.rateLimited++;
  return over;
}

/** Seconds until a rolling window of `windowMs` has room again for `account`. */
export function windowRetryAfter(provider: string, account: string, windowMs: number): number {
  const times = windows.get(`${provider}\n${account}`) ?? [];
  const oldest = times[0] ?? Date.now();
  return Math.max(1, Math.ceil((oldest + windowMs - Date.now()) / 1000));
}

// ---------------------------------------------------------------------------------------------
// Control endpoints.

export const datasetControl = new Hono<{ Bindings: Env }>();

const int = (v: unknown, max = 1_000_000): number => {
  const n = Number(v ?? 0);
  return Number.isInteger(n) && n >= 0 && n <= max ? n : 0;
};

datasetControl.get("/_stats", (c) => c.json(Object.fromEntries(stats)));
datasetControl.delete("/_stats", (c) => {
  stats.clear();
  windows.clear();
  return c.body(null, 204);
});

datasetControl.post("/:provider/_faults", async (c) => {
  const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
  const status = int(body.status, 599);
  const count = int(body.count ?? 1, 1000);
  if (status < 400) return c.json({ error: "status must be 400-599" }, 400);
  faults.set(c.req.param("provider"), {
    status,
    remaining: count,
    retryAfter: int(body.retry_after ?? 1, 3600),
  });
  return c.json({ armed: { status, count } });
});

datasetControl.post("/:provider/:entity", async (c) => {
  const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
  if (typeof body.account !== "string" || !body.account) return c.json({ error: "account is required" }, 400);
  const d = dataset(c.req.param("provider"), body.account, c.req.param("entity"));
  if (body.count !== undefined) d.resize(int(body.count));
  return c.json({
    touched: d.touch(int(body.touch)),
    removed: d.remove(int(body.remove)),
    purged: d.purge(int(body.purge)),
    created: d.create(int(body.create)),
    size: d.size,
  });
});

datasetControl.get("/:provider/:entity", (c) => {
  const account = c.req.query("account") ?? "";
  const d = dataset(c.req.param("provider"), account, c.req.param("entity"));
  const pushed = c.req.query("created") !== undefined;
  const items = d.list({ includeDeleted: true }).map(itemOf);
  return c.json({ size: d.size, items: pushed ? items.filter((i) => i.body) : items.slice(0, 200) });
});
