/**
 * The QBO objects of the simulated records: the hub's entity names and QuickBooks' names for
 * them, the object rendered for a dataset item, and what QuickBooks refuses or computes when one
 * is saved.
 */
import { type DatasetItem, dataset, fieldsOf, type ItemFields } from "../../dataset.ts";
import { fault, iso, missing } from "./faults.ts";

/** The dataset account of a request: its realm id. */
export const quickbooksAccount = (realmId: string): string => realmId;

export type Entity = "customers" | "products" | "invoices" | "payments";

export const BY_NAME: Record<string, { entity: Entity; name: string }> = {
  customer: { entity: "customers", name: "Customer" },
  item: { entity: "products", name: "Item" },
  invoice: { entity: "invoices", name: "Invoice" },
  payment: { entity: "payments", name: "Payment" },
};

/**
 * Generated payments pay generated invoices in full: payment n pays invoice 3n (every third
 * invoice is a paid one), ten days after it was issued.
 */
export const paidInvoiceOf = (paymentN: number) => paymentN * 3;
const PAID_AFTER_MS = 10 * 86_400_000;
const METHODS = [
  { value: "1", name: "Cash" },
  { value: "2", name: "Check" },
  { value: "3", name: "Visa" },
];

const round2 = (n: number) => Math.round(n * 100) / 100;

const meta = (item: DatasetItem) => ({
  CreateTime: iso(item.createdAt),
  LastUpdatedTime: iso(item.modifiedAt),
});
const productName = (f: ItemFields) =>
  `${f.lines[0]?.description ?? `Item ${f.sku}`}${f.version > 1 ? ` v${f.version}` : ""}`;

/** The generated QBO object of an item (without Id, SyncToken, Active, MetaData). */
function generated(entity: Entity, f: ItemFields): Record<string, unknown> {
  if (entity === "payments") {
    const inv = fieldsOf(paidInvoiceOf(f.n));
    const date = iso(Date.parse(`${inv.issueDate}T00:00:00Z`) + PAID_AFTER_MS).slice(0, 10);
    return {
      domain: "QBO",
      sparse: false,
      TxnDate: date,
      CurrencyRef: { value: inv.currency, name: "United States Dollar" },
      CustomerRef: { value: String(inv.customerN), name: fieldsOf(inv.customerN).name },
      DepositToAccountRef: { value: "4" },
      PaymentMethodRef: METHODS[f.n % METHODS.length],
      PaymentRefNum: `PMT-${f.n}`,
      TotalAmt: inv.total,
      UnappliedAmt: 0,
      ProcessPayment: false,
      Line: [
        {
          Amount: inv.total,
          LinkedTxn: [{ TxnId: String(paidInvoiceOf(f.n)), TxnType: "Invoice" }],
          LineEx: { any: [] },
        },
      ],
    };
  }
  if (entity === "customers") {
    return {
      domain: "QBO",
      sparse: false,
      GivenName: f.firstName,
      FamilyName: f.lastName,
      DisplayName: f.name,
      FullyQualifiedName: f.name,
      PrintOnCheckName: f.name,
      CompanyName: f.company,
      PrimaryEmailAddr: { Address: f.email },
      PrimaryPhone: { FreeFormNumber: f.phone },
      BillAddr: {
        Id: String(f.n + 100_000),
        Line1: f.street,
        City: f.city,
        CountrySubDivisionCode: f.region,
        PostalCode: f.postalCode,
        Country: f.country,
      },
      Taxable: false,
      Job: false,
      BillWithParent: false,
      Balance: 0,
      BalanceWithJobs: 0,
      CurrencyRef: { value: f.currency, name: "United States Dollar" },
      PreferredDeliveryMethod: "Print",
    };
  }
  if (entity === "products") {
    const name = productName(f);
    return {
      domain: "QBO",
      sparse: false,
      Name: name,
      FullyQualifiedName: name,
      Sku: f.sku,
      Description: `Sandbox product ${f.sku}`,
      UnitPrice: f.price,
      Type: "Service",
      IncomeAccountRef: { value: "1", name: "Services" },
      Taxable: false,
      TrackQtyOnHand: false,
      SubItem: false,
      Level: 0,
    };
  }
  const voided = f.status === "void";
  const lines = f.lines.map((l, i) => ({
    Id: String(i + 1),
    LineNum: i + 1,
    Description: l.description,
    Amount: voided ? 0 : round2(l.quantity * l.unitPrice),
    DetailType: "SalesItemLineDetail",
    SalesItemLineDetail: {
      ItemRef: { value: "1", name: "Services" },
      Qty: l.quantity,
      UnitPrice: l.unitPrice,
    },
  }));
  const total = voided ? 0 : f.total;
  return {
    domain: "QBO",
    sparse: false,
    DocNumber: String(1000 + f.n),
    TxnDate: f.issueDate,
    DueDate: f.dueDate,
    CurrencyRef: { value: f.currency, name: "United States Dollar" },
    CustomerRef: { value: String(f.customerN), name: fieldsOf(f.customerN).name },
    Line: [...lines, { Amount: total, DetailType: "SubTotalLineDetail", SubTotalLineDetail: {} }],
    TotalAmt: total,
    Balance: f.status === "paid" || voided ? 0 : total,
    ...(voided ? { PrivateNote: "Voided" } : {}),
    // A paid invoice links the generated payment that paid it.
    ...(f.status === "paid" ? { LinkedTxn: [{ TxnId: String(f.n / 3), TxnType: "Payment" }] } : {}),
    EmailStatus: "NotSet",
    PrintStatus: "NeedToPrint",
  };
}

/** The QBO object of a dataset item: pushed and updated ones keep their stored object. */
export function render(entity: Entity, item: DatasetItem): Record<string, unknown> {
  const base = item.body ?? generated(entity, item.fields);
  return {
    ...(entity === "invoices" ? { DocNumber: String(1000 + item.n) } : {}),
    ...base,
    Id: String(item.n),
    SyncToken: String(item.fields.version - 1),
    ...(entity === "invoices" || entity === "payments" ? {} : { Active: !item.deleted }),
    MetaData: meta(item),
  };
}

export const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

const text = (v: unknown) => typeof v === "string" && v.trim() !== "";

/** What QuickBooks refuses in a create (or an update's merged object); null when it is valid. */
export function invalid(entity: Entity, realm: string, o: Record<string, unknown>): Response | null {
  if (entity === "customers") {
    const named = ["DisplayName", "GivenName", "FamilyName", "MiddleName", "Title", "Suffix"].some((k) =>
      text(o[k]),
    );
    return named ? null : missing("DisplayName");
  }
  if (entity === "products") {
    if (!text(o.Name)) return missing("Name");
    if (!text(o.Type)) return missing("Type");
    if (o.Type !== "Inventory" && o.Type !== "Category" && !text(obj(o.IncomeAccountRef)?.value))
      return missing("IncomeAccountRef");
    return null;
  }
  if (entity === "payments") return null;
  const customer = String(obj(o.CustomerRef)?.value ?? "");
  if (!customer) return missing("CustomerRef");
  const cust = dataset("quickbooks", quickbooksAccount(realm), "customers").get(Number(customer));
  if (!/^\d+$/.test(customer) || !cust || cust.deleted)
    return fault(
      400,
      "2500",
      "Invalid Reference Id",
      `Invalid Reference Id : Names element id ${customer} not found`,
      "ValidationFault",
    );
  const lines = Array.isArray(o.Line) ? o.Line : [];
  if (!lines.some((l) => obj(l)?.DetailType === "SalesItemLineDetail")) return missing("Line");
  if (lines.some((l) => obj(l)?.DetailType === "SalesItemLineDetail" && typeof obj(l)?.Amount !== "number"))
    return missing("Line.Amount");
  return null;
}

/** Fills in what QuickBooks computes on save: invoice totals and the default Services item. */
export function computed(entity: Entity, o: Record<string, unknown>): Record<string, unknown> {
  if (entity === "customers") {
    const name = text(o.DisplayName) ? o.DisplayName : [o.GivenName, o.FamilyName].filter(text).join(" ");
    return { domain: "QBO", sparse: false, Balance: 0, ...o, DisplayName: name, FullyQualifiedName: name };
  }
  if (entity === "products") return { domain: "QBO", sparse: false, ...o, FullyQualifiedName: o.Name };
  if (entity === "payments")
    return { domain: "QBO", sparse: false, TxnDate: iso(Date.now()).slice(0, 10), UnappliedAmt: 0, ...o };
  const sales = (Array.isArray(o.Line) ? o.Line : [])
    .map((l) => obj(l))
    .filter((l): l is Record<string, unknown> => l?.DetailType === "SalesItemLineDetail")
    .map((l, i): Record<string, unknown> => {
      const detail = obj(l.SalesItemLineDetail) ?? {};
      return {
        Id: String(i + 1),
        LineNum: i + 1,
        ...l,
        SalesItemLineDetail: { ItemRef: { value: "1", name: "Services" }, ...detail },
      };
    });
  const total = round2(sales.reduce((s, l) => s + Number(l.Amount ?? 0), 0));
  const paid = o.TotalAmt !== undefined && o.Balance === 0;
  return {
    domain: "QBO",
    sparse: false,
    TxnDate: iso(Date.now()).slice(0, 10),
    ...o,
    Line: [...sales, { Amount: total, DetailType: "SubTotalLineDetail", SubTotalLineDetail: {} }],
    TotalAmt: total,
    Balance: paid ? 0 : total,
  };
}
