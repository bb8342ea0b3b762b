/**
 * QuickBooks Online payments: a payment recorded through the hub is a `Payment` whose one line
 * applies its amount to the invoice (`Line[].LinkedTxn` with `TxnType: "Invoice"`), for the
 * invoice's customer; and the day an invoice was paid in full is the latest `TxnDate` of the
 * payments it links to (Intuit's "Manage linked transactions": the invoice names its payments
 * only by id, so they are read with one query per 100 of them).
 */
import { field, type ProviderContext, ProviderError } from "../runtime.ts";
import { amount, day, type PaymentData, str } from "../sync.ts";
import { qboGet } from "./client.ts";
import { linked } from "./map.ts";

/** Payment ids per `WHERE Id IN (...)` query, so the query string stays short. */
const IDS_PER_QUERY = 100;

/**
 * The day each invoice of a page was paid in full: for invoices with a zero balance, the latest
 * date of their linked payments. Invoices whose payments cannot be found get none.
 */
export async function paidDates(ctx: ProviderContext, invoices: unknown[]): Promise<Map<string, string>> {
  const wanted = new Map<string, string[]>();
  for (const raw of invoices) {
    const id = str(field(raw, "Id"));
    const total = amount(field(raw, "TotalAmt")) ?? 0;
    if (id && amount(field(raw, "Balance")) === 0 && total > 0) {
      const payments = linked(raw, "Payment");
      if (payments.length) wanted.set(id, payments);
    }
  }
  const ids = [...new Set([...wanted.values()].flat())].filter((id) => /^\d+$/.test(id));
  const dates = new Map<string, string>();
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const chunk = ids.slice(i, i + IDS_PER_QUERY);
    const query = `SELECT * FROM Payment WHERE Id IN (${chunk.map((id) => `'${id}'`).join(", ")}) MAXRESULTS ${IDS_PER_QUERY}`;
    const rows = field(await qboGet(ctx, "/query", { query }), "QueryResponse", "Payment");
    for (const p of Array.isArray(rows) ? rows : []) {
      const id = str(field(p, "Id"));
      const date = day(field(p, "TxnDate"));
      if (id && date) dates.set(id, date);
    }
  }
  const out = new Map<string, string>();
  for (const [invoice, payments] of wanted) {
    const seen = payments.map((p) => dates.get(p)).filter((d): d is string => Boolean(d));
    if (seen.length) out.set(invoice, seen.sort().at(-1) as string);
  }
  return out;
}

/**
 * The body of a new Payment: its amount applied to the invoice. Without a customer the
 * invoice's own is used (read from QuickBooks), as QuickBooks requires CustomerRef; the
 * currency, when given, must be the invoice's. `method` is not sent: QuickBooks takes a
 * PaymentMethod by id, which the normalized record does not carry.
 */
export async function paymentBody(ctx: ProviderContext, p: PaymentData): Promise<Record<string, unknown>> {
  const invoice = p.invoice_external_id;
  if (!invoice) throw new ProviderError("permanent", "QuickBooks: a payment needs its invoice_external_id");
  let customer = p.customer_external_id ?? null;
  if (!customer) {
    const data = await qboGet(ctx, `/invoice/${encodeURIComponent(invoice)}`, {});
    customer = str(field(data, "Invoice", "CustomerRef", "value"));
    if (!customer) throw new ProviderError("permanent", `QuickBooks: invoice ${invoice} names no customer`);
  }
  return {
    CustomerRef: { value: customer },
    TotalAmt: p.amount,
    ...(p.date ? { TxnDate: p.date } : {}),
    ...(p.reference ? { PaymentRefNum: p.reference.slice(0, 21) } : {}),
    ...(p.currency ? { CurrencyRef: { value: p.currency } } : {}),
    Line: [{ Amount: p.amount, LinkedTxn: [{ TxnId: invoice, TxnType: "Invoice" }] }],
  };
}
