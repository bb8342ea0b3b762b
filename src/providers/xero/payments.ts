/**
 * Xero payments (Accounting API `/api.xro/2.0/Payments`): a payment received against a sales
 * invoice, mapped onto the normalized payment record, and one recorded through the hub with
 * `PUT /Payments` `{Payments: [{Invoice: {InvoiceID}, Account: {Code}, Date, Amount, Reference}]}`
 * into the integration's `payment_account_code` (the bank account the money went to).
 */
import { field, type ProviderContext, ProviderError, request } from "../runtime.ts";
import { amount, day, type PaymentData, type PushInput, type PushResult, str } from "../sync.ts";
import { failure, xeroHeaders } from "./client.ts";

/** ISO 8601 of a Xero JSON date (`/Date(1700000000000+0000)/`) or a plain date string. */
function xeroDay(value: unknown): string | null {
  const m = typeof value === "string" ? value.match(/^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/) : null;
  return m ? new Date(Number(m[1])).toISOString().slice(0, 10) : day(value);
}

/**
 * A Xero Payment as normalized payment data. Xero records no payment method (only the account
 * the money went to), so `method` is null; the currency is the invoice's.
 */
export function mapPayment(raw: unknown): PaymentData {
  return {
    invoice_external_id: str(field(raw, "Invoice", "InvoiceID")),
    customer_external_id: str(field(raw, "Invoice", "Contact", "ContactID")),
    date: xeroDay(field(raw, "Date")),
    amount: amount(field(raw, "Amount")) ?? 0,
    currency: str(field(raw, "Invoice", "CurrencyCode")),
    method: null,
    reference: str(field(raw, "Reference")),
  };
}

/** Records a payment against its invoice; without a date, today's. */
export async function pushPayment(
  ctx: ProviderContext,
  p: PaymentData,
  input: PushInput,
): Promise<PushResult> {
  if (input.externalId)
    throw new ProviderError("permanent", "Xero: payments are only created through the hub");
  const code = ctx.config.payment_account_code;
  if (typeof code !== "string" || !code.trim())
    throw new ProviderError(
      "permanent",
      "Xero: set payment_account_code (the code of the bank account payments are paid into) to record payments",
    );
  if (!p.invoice_external_id)
    throw new ProviderError("permanent", "Xero: a payment needs its invoice_external_id");
  const payment = {
    Invoice: { InvoiceID: p.invoice_external_id },
    Account: { Code: code.trim() },
    Date: p.date ?? new Date().toISOString().slice(0, 10),
    Amount: p.amount,
    ...(p.reference ? { Reference: p.reference } : {}),
  };
  const res = await request(ctx, {
    method: "PUT",
    path: "/api.xro/2.0/Payments",
    headers: {
      ...xeroHeaders(ctx),
      // A repeated key answers the first outcome instead of paying twice.
      ...(input.key ? { "idempotency-key": input.key } : {}),
    },
    json: { Payments: [payment] },
  });
  if (res.status !== 200) throw failure(res);
  const raw = field(res.data, "Payments", "0");
  const id = str(field(raw, "PaymentID"));
  if (!id) throw new ProviderError("transient", "Xero: the Payments answer has no PaymentID");
  return { externalId: id, data: mapPayment(raw), raw };
}
