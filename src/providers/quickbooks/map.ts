/**
 * QuickBooks Online objects as the hub's normalized records: Customer, Item, Invoice (with what
 * was paid of it) and Payment.
 */
import { field } from "../runtime.ts";
import {
  amount,
  type CustomerData,
  day,
  email,
  type InvoiceData,
  type InvoiceLine,
  isoFrom,
  type PaymentData,
  type ProductData,
  str,
} from "../sync.ts";

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export const modified = (raw: unknown) => isoFrom(field(raw, "MetaData", "LastUpdatedTime"));

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The ids of a transaction's linked transactions of one type (an invoice's payments, a payment's invoices). */
export function linked(raw: unknown, type: string): string[] {
  const list = (v: unknown) => (Array.isArray(v) ? v : []);
  const own = list(field(raw, "LinkedTxn"));
  // A payment links its invoices on its lines.
  const onLines = list(field(raw, "Line")).flatMap((l) => list(field(l, "LinkedTxn")));
  return [...own, ...onLines]
    .filter((t) => field(t, "TxnType") === type)
    .map((t) => str(field(t, "TxnId")))
    .filter((id): id is string => id !== null);
}

/** A QBO Customer as normalized customer data. */
export function mapCustomer(raw: unknown): CustomerData {
  const given = [str(field(raw, "GivenName")), str(field(raw, "FamilyName"))].filter(Boolean).join(" ");
  const addr = obj(field(raw, "BillAddr"));
  const hasAddr = Object.keys(addr).some((k) => k !== "Id");
  return {
    name:
      str(field(raw, "DisplayName")) ??
      (given || null) ??
      str(field(raw, "CompanyName")) ??
      `Customer ${String(field(raw, "Id"))}`,
    email: email(field(raw, "PrimaryEmailAddr", "Address")),
    phone: str(field(raw, "PrimaryPhone", "FreeFormNumber")) ?? str(field(raw, "Mobile", "FreeFormNumber")),
    company: str(field(raw, "CompanyName")),
    address: hasAddr
      ? {
          line1: str(addr.Line1),
          line2: str(addr.Line2),
          city: str(addr.City),
          region: str(addr.CountrySubDivisionCode),
          postal_code: str(addr.PostalCode),
          country: str(addr.Country),
        }
      : null,
  };
}

/** A QBO Item as normalized product data (items carry no currency of their own). */
export function mapProduct(raw: unknown): ProductData {
  return {
    sku: str(field(raw, "Sku")),
    name:
      str(field(raw, "Name")) ?? str(field(raw, "FullyQualifiedName")) ?? `Item ${String(field(raw, "Id"))}`,
    description: str(field(raw, "Description")),
    price: amount(field(raw, "UnitPrice")),
    currency: null,
  };
}

/**
 * QBO invoices have no status field: a voided one keeps a zero total and the note "Voided", a
 * zero balance means paid, anything else is open (QBO has no drafts).
 */
function invoiceStatus(raw: unknown): InvoiceData["status"] {
  const note = String(field(raw, "PrivateNote") ?? "");
  const total = amount(field(raw, "TotalAmt")) ?? 0;
  const balance = amount(field(raw, "Balance"));
  if (/^voided\b/i.test(note) && total === 0) return "void";
  if (balance === 0 && total > 0) return "paid";
  return "open";
}

/** A QBO Invoice as normalized invoice data; only sales lines become lines. */
export function mapInvoice(raw: unknown, paidAt: string | null = null): InvoiceData {
  const lines = field(raw, "Line");
  const mapped: InvoiceLine[] = (Array.isArray(lines) ? lines : [])
    .filter((l) => field(l, "DetailType") === "SalesItemLineDetail")
    .slice(0, 500)
    .map((l) => ({
      description: str(field(l, "Description")),
      sku: null,
      quantity: amount(field(l, "SalesItemLineDetail", "Qty")) ?? 1,
      unit_price: amount(field(l, "SalesItemLineDetail", "UnitPrice")),
      amount: amount(field(l, "Amount")),
    }));
  return {
    number: str(field(raw, "DocNumber")),
    customer_external_id: str(field(raw, "CustomerRef", "value")),
    issue_date: day(field(raw, "TxnDate")),
    due_date: day(field(raw, "DueDate")),
    currency: str(field(raw, "CurrencyRef", "value")),
    total: amount(field(raw, "TotalAmt")),
    status: invoiceStatus(raw),
    lines: mapped,
    ...paid(raw, paidAt),
  };
}

/** What was paid of an invoice (TotalAmt - Balance) and what is still due (Balance). */
function paid(raw: unknown, paidAt: string | null): Pick<InvoiceData, "amount_paid" | "balance" | "paid_at"> {
  const total = amount(field(raw, "TotalAmt"));
  const balance = amount(field(raw, "Balance"));
  return {
    amount_paid: total !== null && balance !== null ? round2(total - balance) : null,
    balance,
    paid_at: balance === 0 && total !== null && total > 0 ? paidAt : null,
  };
}

/**
 * A QBO Payment as normalized payment data: the first invoice its lines apply it to (a payment
 * may cover several; `raw` keeps them all), the payment method's name and the reference number.
 */
export function mapPayment(raw: unknown): PaymentData {
  return {
    invoice_external_id: linked(raw, "Invoice")[0] ?? null,
    customer_external_id: str(field(raw, "CustomerRef", "value")),
    date: day(field(raw, "TxnDate")),
    amount: amount(field(raw, "TotalAmt")) ?? 0,
    currency: str(field(raw, "CurrencyRef", "value")),
    method: str(field(raw, "PaymentMethodRef", "name")) ?? str(field(raw, "PaymentMethodRef", "value")),
    reference: str(field(raw, "PaymentRefNum")),
  };
}
