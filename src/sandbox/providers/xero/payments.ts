/**
 * Simulated Xero Payments: `GET /api.xro/2.0/Payments` (paged with `page`/`pageSize`,
 * `If-Modified-Since`, a `where` of one `Field=="value"` clause; DELETED payments listed) and
 * `PUT /api.xro/2.0/Payments` `{Payments: [{Invoice: {InvoiceID}, Account: {Code}, Date, Amount,
 * Reference}]}` (or one such object; POST the same), which Xero refuses for a missing or unapproved invoice, an unknown account or
 * more than the amount due, and otherwise applies to the invoice: AmountPaid up, AmountDue down,
 * PAID with FullyPaidOnDate when nothing is left. The same `Idempotency-Key` again answers the
 * first outcome and saves nothing more.
 */
import { dataset, itemOf } from "../../dataset.ts";
import { simulator } from "../../lib.ts";
import { indexOf, obj, PAYMENT_ACCOUNTS, paidInvoiceOf, render, xeroDate } from "./entities.ts";
import { gate } from "./gate.ts";
import { envelope, modifiedSince, paged } from "./records.ts";

export const payments = simulator();

const round2 = (n: number) => Math.round(n * 100) / 100;
const REPLAYS = new Map<string, { status: 200 | 400; body: unknown }>();
const REPLAYS_MAX = 10_000;

payments.get("/api.xro/2.0/Payments", (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const where = c.req.query("where");
  const clause = where?.trim().match(/^(\w+)\s*==\s*"([^"]*)"$/);
  if (where && !clause) {
    return c.json(
      {
        ErrorNumber: 16,
        Type: "QueryParseException",
        Message: `The where clause "${where}" could not be parsed`,
      },
      400,
      g.headers,
    );
  }
  const invoices = new Set(
    dataset("xero", g.account, "invoices")
      .list({ includeDeleted: true })
      .map((e) => e.n),
  );
  const all = dataset("xero", g.account, "payments")
    .list({ sinceMs: modifiedSince(c.req.header("if-modified-since")), includeDeleted: true })
    // Generated payments exist where the invoice they pay does.
    .filter((e) => e.body !== undefined || invoices.has(paidInvoiceOf(e.n)))
    .map((e) => render("payments", itemOf(e)))
    .filter((r) => !clause || String(r[clause[1] ?? ""]) === clause[2]);
  const { rows, pagination } = paged(c, all);
  return c.json(envelope("Payments", rows, pagination), 200, g.headers);
});

// PUT creates (`{Payments: [...]}`, xero-node's createPayments); POST creates too (one payment
// object, xero-node's createPayment).
payments.on(["PUT", "POST"], "/api.xro/2.0/Payments", async (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const key = c.req.header("idempotency-key");
  const replayKey = key ? `${g.account}\n${key}` : null;
  const replay = replayKey ? REPLAYS.get(replayKey) : undefined;
  if (replay) return c.json(replay.body, replay.status, g.headers);
  const { status, body } = await save(g.account, await c.req.json().catch(() => null));
  if (replayKey) {
    if (REPLAYS.size >= REPLAYS_MAX) REPLAYS.delete(REPLAYS.keys().next().value as string);
    REPLAYS.set(replayKey, { status, body });
  }
  return c.json(body, status, g.headers);
});

/** What Xero refuses in one payment, with the invoice it pays when it is valid. */
function check(account: string, p: Record<string, unknown>) {
  const errors: string[] = [];
  const n = indexOf("invoices", obj(p.Invoice)?.InvoiceID);
  const entry = n === null ? undefined : dataset("xero", account, "invoices").get(n);
  const invoice = entry && !entry.deleted ? render("invoices", itemOf(entry)) : null;
  const code = String(obj(p.Account)?.Code ?? "");
  const accountId = String(obj(p.Account)?.AccountID ?? "");
  const amount = typeof p.Amount === "number" ? p.Amount : Number.NaN;
  if (!invoice) errors.push("Invoice could not be found");
  else if (invoice.Status !== "AUTHORISED")
    errors.push("Payments can only be made against Authorised documents");
  else if (amount > Number(invoice.AmountDue ?? 0) + 1e-9)
    errors.push("Payment amount exceeds the amount outstanding on this document");
  if (!code && !accountId) errors.push("An Account must be specified");
  else if (code ? !PAYMENT_ACCOUNTS[code] : !Object.values(PAYMENT_ACCOUNTS).includes(accountId))
    errors.push(`Account code '${code || accountId}' is not a valid code for this document.`);
  if (!Number.isFinite(amount) || amount <= 0) errors.push("Payment amount must be greater than zero");
  if (typeof p.Date !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(p.Date))
    errors.push("A valid date must be supplied");
  return { errors, entry, invoice, amount };
}

async function save(account: string, sent: unknown): Promise<{ status: 200 | 400; body: unknown }> {
  // `{Payments: [...]}`, or one payment object as xero-node's createPayment sends it.
  const list = obj(sent)?.Payments ?? (obj(sent)?.Invoice ? [sent] : undefined);
  const items = Array.isArray(list) ? list.map((p) => obj(p) ?? {}) : [];
  if (!items.length) {
    return {
      status: 400,
      body: {
        ErrorNumber: 14,
        Type: "PostDataInvalidException",
        Message: "The Payments collection is missing or empty",
      },
    };
  }
  const plans = items.map((p) => ({ p, ...check(account, p) }));
  if (plans.some((x) => x.errors.length)) {
    return {
      status: 400,
      body: {
        ErrorNumber: 10,
        Type: "ValidationException",
        Message: "A validation exception occurred",
        Elements: plans.map((x) => ({ ...x.p, ValidationErrors: x.errors.map((Message) => ({ Message })) })),
      },
    };
  }
  const d = dataset("xero", account, "payments");
  const saved = plans.map(({ p, entry, invoice, amount }) => {
    if (!entry || !invoice) return p;
    const date = xeroDate(Date.parse(`${String(p.Date).slice(0, 10)}T00:00:00Z`));
    const code = String(obj(p.Account)?.Code ?? "");
    const [n] = d.create(1, Date.now(), {
      Date: date,
      BankAmount: amount,
      Amount: amount,
      Reference: typeof p.Reference === "string" ? p.Reference : "",
      CurrencyRate: 1,
      PaymentType: "ACCRECPAYMENT",
      Status: "AUTHORISED",
      IsReconciled: false,
      HasAccount: true,
      HasValidationErrors: false,
      Account: { AccountID: PAYMENT_ACCOUNTS[code] ?? obj(p.Account)?.AccountID, Code: code || "090" },
      Invoice: {
        Type: invoice.Type,
        InvoiceID: invoice.InvoiceID,
        InvoiceNumber: invoice.InvoiceNumber,
        Contact: invoice.Contact,
        CurrencyCode: invoice.CurrencyCode,
      },
    });
    const made = n === undefined ? undefined : d.get(n);
    const rendered = made ? render("payments", itemOf(made)) : p;
    const { InvoiceID: _id, UpdatedDateUTC: _u, ...current } = invoice;
    const due = Math.max(0, round2(Number(current.AmountDue ?? 0) - amount));
    const earlier = Array.isArray(current.Payments) ? current.Payments : [];
    dataset("xero", account, "invoices").update(entry.n, {
      ...current,
      AmountPaid: round2(Number(current.AmountPaid ?? 0) + amount),
      AmountDue: due,
      Payments: [
        ...earlier,
        {
          PaymentID: rendered.PaymentID,
          Date: date,
          Amount: amount,
          Reference: rendered.Reference,
          CurrencyRate: 1,
        },
      ],
      ...(due === 0 ? { Status: "PAID", FullyPaidOnDate: date } : {}),
    });
    return rendered;
  });
  return { status: 200, body: envelope("Payments", saved) };
}
