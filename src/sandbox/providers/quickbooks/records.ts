/**
 * Records: query, CDC, read and create/update of Customer, Item and Invoice.
 *
 * The dataset account is the realm id in the path (`quickbooksAccount`); entities are the hub's
 * names (customers, products, invoices). Every call counts against 500/min per realm (and a
 * local 10/s window); over it, Intuit's 429 ThrottleExceeded fault with Retry-After. Customers
 * and items are never deleted in QBO, only made inactive: soft-deleted ones are `Active: false`,
 * listed by `WHERE Active = false` or `Active IN (true, false)` and in CDC; soft-deleted invoices
 * appear only in CDC, as `{Id, status: "Deleted"}`; so do payments. A new payment is applied to
 * its invoices (quickbooks/payments.ts). A create or update sent again with the same
 * `requestid` query parameter answers the first outcome and saves nothing more. These routes
 * answer JSON only.
 */
import type { Context } from "hono";
import { countRequest, dataset, itemOf, takeFault, windowRetryAfter } from "../../dataset.ts";
import { simulator } from "../../lib.ts";
import { validBearer } from "../other.ts";
import { BY_NAME, computed, invalid, obj, quickbooksAccount, render } from "./entities.ts";
import { armedFault, authFault, fault, iso, missing, notFound, throttled } from "./faults.ts";
import { applyPayment, invalidPayment, visiblePayments } from "./payments.ts";
import { COMPARE, parseQuery } from "./query.ts";

/** The records routes, mounted on the QuickBooks simulator. */
export const records = simulator();

const MINUTE = 60_000;
const PER_SECOND = new Map<string, number[]>();

/** Faults, auth and the rate limits of one records call; a Response when it must stop there. */
function gate(c: Context): { realm: string } | Response {
  const armed = takeFault("quickbooks");
  if (armed) return armedFault(c, armed.status, armed.retryAfter);
  if (!validBearer(c.req.header("authorization"))) return authFault(c, 401);
  const realm = c.req.param("realm") ?? "";
  if (!/^\d+$/.test(realm)) return authFault(c, 403);
  const account = quickbooksAccount(realm);
  if (countRequest("quickbooks", account, 500, MINUTE)) {
    return throttled(windowRetryAfter("quickbooks", account, MINUTE));
  }
  const now = Date.now();
  const recent = (PER_SECOND.get(account) ?? []).filter((t) => t > now - 1000);
  if (recent.length >= 10) return throttled(1);
  recent.push(now);
  PER_SECOND.set(account, recent);
  return { realm };
}

records.get("/v3/company/:realm/query", (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const q = parseQuery(c.req.query("query") ?? "");
  if (q instanceof Response) return q;
  const d = dataset("quickbooks", quickbooksAccount(g.realm), q.entity);
  // Invoices and payments have no Active flag: deleted ones are gone from queries.
  const flagged = q.entity !== "invoices" && q.entity !== "payments";
  const withInactive = flagged && q.active !== "true";
  let rows = d.list({ includeDeleted: withInactive, byModified: q.orderBy === "time" });
  if (flagged && q.active === "false") rows = rows.filter((e) => e.deleted);
  if (q.entity === "payments") rows = visiblePayments(g.realm, rows);
  if (q.ids) {
    const ids = new Set(q.ids);
    rows = rows.filter((e) => ids.has(String(e.n)));
  }
  for (const t of q.time) rows = rows.filter((e) => COMPARE[t.op]?.(e.modifiedAt, t.ms));
  if (q.desc) rows = [...rows].reverse();
  const slice = rows.slice(q.start - 1, q.start - 1 + q.max).map((e) => render(q.entity, itemOf(e)));
  return c.json({
    QueryResponse: slice.length ? { [q.name]: slice, startPosition: q.start, maxResults: slice.length } : {},
    time: iso(Date.now()),
  });
});

/** Answers kept per realm and `requestid`, so a repeated create saves nothing more. */
const REPLAYS = new Map<string, { status: 200 | 400; body: unknown }>();
const REPLAYS_MAX = 10_000;

/** CDC answers at most this many objects, across all requested entities. */
const CDC_MAX = 1000;

records.get("/v3/company/:realm/cdc", (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const names = (c.req.query("entities") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const changedSince = c.req.query("changedSince") ?? "";
  const sinceMs = Date.parse(changedSince);
  if (!names.length || !Number.isFinite(sinceMs)) {
    return fault(
      400,
      "2020",
      "Required param missing, need to supply the required value for the API",
      `Required parameter ${names.length ? "changedSince" : "entities"} is missing in the request`,
      "ValidationFault",
    );
  }
  if (Date.now() - sinceMs > 30 * 86_400_000) {
    return fault(
      400,
      "2030",
      "Invalid ID",
      "changedSince cannot be more than 30 days in the past",
      "ValidationFault",
    );
  }
  const responses: Record<string, unknown>[] = [];
  let room = CDC_MAX;
  for (const raw of names) {
    const target = BY_NAME[raw.toLowerCase()];
    if (!target)
      return fault(
        400,
        "2010",
        "Request has invalid or unsupported property",
        `Property Name: ${raw} specified is unsupported or invalid`,
        "ValidationFault",
      );
    const d = dataset("quickbooks", quickbooksAccount(g.realm), target.entity);
    let listed = d.list({ sinceMs, includeDeleted: true, byModified: true });
    if (target.entity === "payments") listed = visiblePayments(g.realm, listed);
    const rows = listed.slice(0, Math.max(0, room));
    room -= rows.length;
    const objects = rows.map((e) => {
      const item = itemOf(e);
      if (item.deleted && (target.entity === "invoices" || target.entity === "payments"))
        return {
          domain: "QBO",
          status: "Deleted",
          Id: String(item.n),
          MetaData: { LastUpdatedTime: iso(item.modifiedAt) },
        };
      return render(target.entity, item);
    });
    responses.push({
      [target.name]: objects,
      startPosition: 1,
      maxResults: objects.length,
      totalCount: objects.length,
    });
  }
  return c.json({ CDCResponse: [{ QueryResponse: responses }], time: iso(Date.now()) });
});

for (const [path, { entity, name }] of Object.entries(BY_NAME)) {
  records.get(`/v3/company/:realm/${path}/:id`, (c) => {
    const g = gate(c);
    if (g instanceof Response) return g;
    const e = dataset("quickbooks", quickbooksAccount(g.realm), entity).get(Number(c.req.param("id")));
    if (!e || (e.deleted && (entity === "invoices" || entity === "payments"))) return notFound();
    return c.json({ [name]: render(entity, itemOf(e)), time: iso(Date.now()) });
  });

  records.post(`/v3/company/:realm/${path}`, async (c) => {
    const g = gate(c);
    if (g instanceof Response) return g;
    const requestId = c.req.query("requestid");
    const key = requestId ? `${g.realm}\n${requestId}` : null;
    const replay = key ? REPLAYS.get(key) : undefined;
    if (replay) return c.json(replay.body, replay.status);
    const res = await save(c, g.realm);
    if (key && res.status < 500) {
      if (REPLAYS.size >= REPLAYS_MAX) REPLAYS.delete(REPLAYS.keys().next().value as string);
      REPLAYS.set(key, { status: res.status as 200 | 400, body: await res.clone().json() });
    }
    return res;
  });

  /** A create, or with `Id` an update, of one object. */
  async function save(c: Context, realm: string): Promise<Response> {
    const g = { realm };
    const sent = obj(await c.req.json().catch(() => null));
    if (!sent)
      return fault(
        400,
        "2010",
        "Request has invalid or unsupported property",
        "Property Name:Unexpected end-of-input specified is unsupported or invalid",
        "ValidationFault",
      );
    const d = dataset("quickbooks", quickbooksAccount(g.realm), entity);
    const { Id, SyncToken, sparse, MetaData: _meta, Active: _active, ...fields } = sent;
    if (Id === undefined) {
      const bad = entity === "payments" ? invalidPayment(g.realm, fields) : invalid(entity, g.realm, fields);
      if (bad) return bad;
      const [n] = d.create(1, Date.now(), computed(entity, fields));
      const e = n === undefined ? undefined : d.get(n);
      if (!e) return notFound();
      if (entity === "payments") applyPayment(g.realm, String(e.n), fields);
      return c.json({ [name]: render(entity, itemOf(e)), time: iso(Date.now()) });
    }
    const e = d.get(Number(Id));
    if (!/^\d+$/.test(String(Id)) || !e || e.deleted) return notFound();
    if (SyncToken === undefined || SyncToken === null || SyncToken === "") return missing("SyncToken");
    const current = render(entity, itemOf(e));
    if (String(SyncToken) !== current.SyncToken) {
      return fault(
        400,
        "5010",
        "Stale Object Error",
        `Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.`,
        "ValidationFault",
      );
    }
    const { Id: _id, SyncToken: _token, MetaData: _m, Active: _a, ...stored } = current;
    // A full (non-sparse) update replaces every writable field with what was sent.
    const merged = sparse === true ? { ...stored, ...fields } : { domain: "QBO", ...fields };
    const bad = invalid(entity, g.realm, merged);
    if (bad) return bad;
    d.update(e.n, computed(entity, merged));
    return c.json({ [name]: render(entity, itemOf(e)), time: iso(Date.now()) });
  }
}
