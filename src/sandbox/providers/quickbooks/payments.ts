/**
 * Simulated QuickBooks payments: which generated payments exist (those whose invoice does),
 * what QuickBooks refuses in a new payment, and its effect on the invoices it is applied to:
 * each linked invoice's Balance goes down by the line's amount and the invoice links the payment
 * (`LinkedTxn` with `TxnType: "Payment"`), as Intuit's "Manage linked transactions" shows.
 */
import { type Dataset, dataset, itemOf } from "../../dataset.ts";
import { obj, paidInvoiceOf, quickbooksAccount, render } from "./entities.ts";
import { fault, missing } from "./faults.ts";

type Entry = ReturnType<Dataset["list"]>[number];

const round2 = (n: number) => Math.round(n * 100) / 100;
const invoices = (realm: string) => dataset("quickbooks", quickbooksAccount(realm), "invoices");

/** Payments as listed: pushed ones, and generated ones whose invoice exists in this company. */
export function visiblePayments(realm: string, rows: Entry[]): Entry[] {
  const present = new Set(
    invoices(realm)
      .list({ includeDeleted: true })
      .map((e) => e.n),
  );
  return rows.filter((e) => e.body !== undefined || present.has(paidInvoiceOf(e.n)));
}

/** The invoice lines of a payment: each line's amount and the invoice it is applied to. */
function applications(o: Record<string, unknown>): { invoice: string; amount: number }[] {
  const lines = Array.isArray(o.Line) ? o.Line : [];
  return lines.flatMap((l) => {
    const line = obj(l) ?? {};
    const txns = Array.isArray(line.LinkedTxn) ? line.LinkedTxn : [];
    return txns
      .map((t) => obj(t))
      .filter((t) => t?.TxnType === "Invoice")
      .map((t) => ({ invoice: String(t?.TxnId ?? ""), amount: Number(line.Amount) }));
  });
}

const business = (detail: string) =>
  fault(
    400,
    "6000",
    "A business validation error has occurred while processing your request",
    detail,
    "ValidationFault",
  );

/** What QuickBooks refuses in a new payment; null when it is valid. */
export function invalidPayment(realm: string, o: Record<string, unknown>): Response | null {
  const customer = String(obj(o.CustomerRef)?.value ?? "");
  if (!customer) return missing("CustomerRef");
  if (typeof o.TotalAmt !== "number" || !Number.isFinite(o.TotalAmt)) return missing("TotalAmt");
  if (o.TotalAmt < 0) return business("Business Validation Error: Payment amount cannot be negative.");
  const applied = applications(o);
  let sum = 0;
  for (const a of applied) {
    const e = /^\d+$/.test(a.invoice) ? invoices(realm).get(Number(a.invoice)) : undefined;
    if (!e || e.deleted)
      return fault(
        400,
        "2500",
        "Invalid Reference Id",
        `Invalid Reference Id : Txn element id ${a.invoice} not found`,
        "ValidationFault",
      );
    if (!Number.isFinite(a.amount) || a.amount <= 0) return missing("Line.Amount");
    const inv = render("invoices", itemOf(e));
    if (String(obj(inv.CustomerRef)?.value) !== customer)
      return business(
        `Business Validation Error: The transaction ${a.invoice} is for another customer than this payment.`,
      );
    if (a.amount > Number(inv.Balance ?? 0) + 1e-9)
      return business(
        `Business Validation Error: The amount applied to invoice ${a.invoice} (${a.amount}) is more than its open balance (${inv.Balance}).`,
      );
    sum += a.amount;
  }
  if (sum > o.TotalAmt + 1e-9)
    return business(
      "Business Validation Error: The amount applied to transactions exceeds the payment total.",
    );
  return null;
}

/** Applies a saved payment to its invoices: their balances fall and they link the payment. */
export function applyPayment(realm: string, paymentId: string, o: Record<string, unknown>): void {
  for (const a of applications(o)) {
    const e = invoices(realm).get(Number(a.invoice));
    if (!e) continue;
    const { Id: _id, SyncToken: _t, MetaData: _m, ...current } = render("invoices", itemOf(e));
    const links = Array.isArray(current.LinkedTxn) ? current.LinkedTxn : [];
    invoices(realm).update(e.n, {
      ...current,
      Balance: Math.max(0, round2(Number(current.Balance ?? 0) - a.amount)),
      LinkedTxn: [...links, { TxnId: paymentId, TxnType: "Payment" }],
    });
  }
}
