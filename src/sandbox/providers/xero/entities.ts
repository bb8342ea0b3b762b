/**
 * The Xero objects of the simulated records: the dataset account and record ids, the object
 * rendered for a dataset item, and what Xero refuses or computes when one is saved.
 */
import { type DatasetItem, dataset, fieldsOf, type ItemFields, itemOf } from "../../dataset.ts";

/** The dataset account of a request: its tenant id. */
export const xeroAccount = (tenantId: string): string => tenantId.toLowerCase();

export type Entity = "customers" | "products" | "invoices" | "payments";

const PREFIX: Record<Entity, string> = {
  customers: "c0c0c0c0",
  products: "17e17e17",
  invoices: "1a1a1a1a",
  payments: "9a9e9a9e",
};

/** The Xero id (a UUID) of item `n` of an entity. */
export const xeroId = (entity: Entity, n: number): string =>
  `${PREFIX[entity]}-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** The item index of a Xero id of `entity`, or null. */
export function indexOf(entity: Entity, id: unknown): number | null {
  const m = typeof id === "string" ? id.toLowerCase().match(/^([0-9a-f]{8})-0000-4000-8000-(\d{12})$/) : null;
  return m && m[1] === PREFIX[entity] ? Number(m[2]) : null;
}

export const xeroDate = (ms: number) => `/Date(${ms}+0000)/`;
const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Generated payments pay generated invoices in full: payment n pays invoice 3n (every third
 * invoice is a paid one), ten days after it was issued.
 */
export const paidInvoiceOf = (paymentN: number) => paymentN * 3;
const paidOn = (f: ItemFields) => dayMs(f.issueDate) + 10 * 86_400_000;

/** The bank accounts of the simulated organisation that take payments (Demo Company's). */
export const PAYMENT_ACCOUNTS: Record<string, string> = {
  "090": "5a5a5a5a-0000-4000-8000-000000000090",
  "091": "5a5a5a5a-0000-4000-8000-000000000091",
};

const productName = (f: ItemFields) =>
  `${f.lines[0]?.description ?? f.sku}${f.version > 1 ? ` v${f.version}` : ""}`.slice(0, 50);

/** The generated Xero object of an item (without its id, status and UpdatedDateUTC). */
function generated(entity: Entity, f: ItemFields): Record<string, unknown> {
  if (entity === "payments") {
    const inv = fieldsOf(paidInvoiceOf(f.n));
    return {
      Date: xeroDate(paidOn(inv)),
      BankAmount: inv.total,
      Amount: inv.total,
      Reference: `PMT-${f.n}`,
      CurrencyRate: 1,
      PaymentType: "ACCRECPAYMENT",
      Status: "AUTHORISED",
      IsReconciled: false,
      HasAccount: true,
      HasValidationErrors: false,
      Account: { AccountID: PAYMENT_ACCOUNTS["090"], Code: "090" },
      Invoice: {
        Type: "ACCREC",
        InvoiceID: xeroId("invoices", inv.n),
        InvoiceNumber: `INV-${String(inv.n).padStart(5, "0")}`,
        Contact: { ContactID: xeroId("customers", inv.customerN), Name: fieldsOf(inv.customerN).name },
        CurrencyCode: inv.currency,
      },
    };
  }
  if (entity === "customers") {
    return {
      Name: f.name,
      FirstName: f.firstName,
      LastName: f.lastName,
      EmailAddress: f.email,
      BankAccountDetails: "",
      Addresses: [
        { AddressType: "POBOX", City: "", Region: "", PostalCode: "", Country: "" },
        {
          AddressType: "STREET",
          AddressLine1: f.street,
          City: f.city,
          Region: f.region,
          PostalCode: f.postalCode,
          Country: f.country,
        },
      ],
      Phones: [
        { PhoneType: "DEFAULT", PhoneNumber: f.phone, PhoneAreaCode: "", PhoneCountryCode: "" },
        { PhoneType: "MOBILE", PhoneNumber: "", PhoneAreaCode: "", PhoneCountryCode: "" },
      ],
      ContactGroups: [],
      IsSupplier: false,
      IsCustomer: true,
      HasAttachments: false,
      HasValidationErrors: false,
    };
  }
  if (entity === "products") {
    return {
      Code: f.sku,
      Name: productName(f),
      Description: `Sandbox product ${f.sku}`,
      PurchaseDescription: "",
      IsSold: true,
      IsPurchased: false,
      SalesDetails: { UnitPrice: f.price, AccountCode: "200", TaxType: "OUTPUT" },
      PurchaseDetails: {},
      IsTrackedAsInventory: false,
    };
  }
  const status = { draft: "DRAFT", open: "AUTHORISED", paid: "PAID", void: "VOIDED" }[f.status];
  return {
    Type: "ACCREC",
    InvoiceNumber: `INV-${String(f.n).padStart(5, "0")}`,
    Reference: "",
    Contact: { ContactID: xeroId("customers", f.customerN), Name: fieldsOf(f.customerN).name },
    Date: xeroDate(dayMs(f.issueDate)),
    DateString: `${f.issueDate}T00:00:00`,
    DueDate: xeroDate(dayMs(f.dueDate)),
    DueDateString: `${f.dueDate}T00:00:00`,
    Status: status,
    LineAmountTypes: "Exclusive",
    LineItems: f.lines.map((l, i) => ({
      LineItemID: `11e11e11-0000-4000-8000-${String(f.n * 100 + i).padStart(12, "0")}`,
      Description: l.description,
      Quantity: l.quantity,
      UnitAmount: l.unitPrice,
      ItemCode: l.sku,
      AccountCode: "200",
      TaxType: "OUTPUT",
      TaxAmount: 0,
      LineAmount: round2(l.quantity * l.unitPrice),
    })),
    SubTotal: f.total,
    TotalTax: 0,
    Total: f.total,
    AmountDue: f.status === "paid" || f.status === "void" ? 0 : f.total,
    AmountPaid: f.status === "paid" ? f.total : 0,
    CurrencyCode: f.currency,
    CurrencyRate: 1,
    HasAttachments: false,
    // A paid invoice lists the generated payment that paid it.
    ...(f.status === "paid"
      ? {
          FullyPaidOnDate: xeroDate(paidOn(f)),
          Payments: [
            {
              PaymentID: xeroId("payments", f.n / 3),
              Date: xeroDate(paidOn(f)),
              Amount: f.total,
              Reference: `PMT-${f.n / 3}`,
              CurrencyRate: 1,
            },
          ],
        }
      : {}),
  };
}

export const ID_FIELD: Record<Entity, string> = {
  customers: "ContactID",
  products: "ItemID",
  invoices: "InvoiceID",
  payments: "PaymentID",
};

/** The Xero object of a dataset item: pushed and updated ones keep their stored object. */
export function render(entity: Entity, item: DatasetItem): Record<string, unknown> {
  const base = item.body ?? generated(entity, item.fields);
  return {
    [ID_FIELD[entity]]: xeroId(entity, item.n),
    ...(entity === "invoices" ? { InvoiceNumber: `INV-${String(item.n).padStart(5, "0")}` } : {}),
    ...base,
    ...(entity === "customers" ? { ContactStatus: item.deleted ? "ARCHIVED" : "ACTIVE" } : {}),
    ...((entity === "invoices" || entity === "payments") && item.deleted ? { Status: "DELETED" } : {}),
    UpdatedDateUTC: xeroDate(item.modifiedAt),
  };
}

export const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const text = (v: unknown) => typeof v === "string" && v.trim() !== "";

/** Xero's messages for what it refuses in a record to save (merged with the stored one on update). */
export function errors(entity: Entity, account: string, o: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (entity === "customers") {
    if (!text(o.Name)) out.push("The contact name must be specified.");
    else if (String(o.Name).length > 255) out.push("The contact name must not exceed 255 characters.");
  } else if (entity === "products") {
    if (!text(o.Code)) out.push("Item Code must not be empty.");
    else if (String(o.Code).length > 30) out.push("Item Code must not be more than 30 characters long.");
    if (o.Name !== undefined && String(o.Name).length > 50)
      out.push("Item Name must not be more than 50 characters long.");
  } else {
    if (o.Type !== "ACCREC" && o.Type !== "ACCPAY") out.push("Invoice Type must be specified.");
    const contact = obj(o.Contact);
    const n = indexOf("customers", contact?.ContactID);
    const found = n !== null && dataset("xero", account, "customers").get(n);
    if (!contact || (!text(contact.ContactID) && !text(contact.Name)))
      out.push("A Contact must be specified for this type of transaction");
    else if (text(contact.ContactID) && !found) out.push("The Contact could not be found.");
    const lines = Array.isArray(o.LineItems) ? o.LineItems : [];
    if (lines.some((l) => !text(obj(l)?.Description) && !text(obj(l)?.ItemCode)))
      out.push("Description is required when no Item is specified.");
    if (o.Status === "AUTHORISED" && !lines.length) out.push("At least one line item must be specified.");
  }
  return out;
}

const toXeroDate = (v: unknown): Record<string, unknown> | null => {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(v)) return null;
  const d = v.slice(0, 10);
  return { date: xeroDate(dayMs(d)), string: `${d}T00:00:00` };
};

/** Fills in what Xero computes on save: invoice amounts, dates in its JSON form, the contact name. */
export function computed(
  entity: Entity,
  account: string,
  o: Record<string, unknown>,
): Record<string, unknown> {
  if (entity === "customers") return { IsCustomer: true, IsSupplier: false, ...o };
  if (entity === "products") return { IsSold: true, IsPurchased: false, IsTrackedAsInventory: false, ...o };
  const lines = (Array.isArray(o.LineItems) ? o.LineItems : []).map((l, i) => {
    const line = obj(l) ?? {};
    const q = Number(line.Quantity ?? 1);
    const u = Number(line.UnitAmount ?? 0);
    return {
      LineItemID: `11e11e11-0000-4000-8000-${String(900_000_000 + i).padStart(12, "0")}`,
      TaxAmount: 0,
      ...line,
      Quantity: q,
      UnitAmount: u,
      LineAmount: round2(q * u),
    };
  });
  const total = round2(lines.reduce((s, l) => s + l.LineAmount, 0));
  const contact = obj(o.Contact) ?? {};
  const n = indexOf("customers", contact.ContactID);
  const stored = n === null ? undefined : dataset("xero", account, "customers").get(n);
  const date = toXeroDate(o.Date);
  const due = toXeroDate(o.DueDate);
  const status = text(o.Status) ? o.Status : "DRAFT";
  return {
    LineAmountTypes: "Exclusive",
    CurrencyCode: "USD",
    CurrencyRate: 1,
    ...o,
    Contact: stored ? { ...contact, Name: render("customers", itemOf(stored)).Name } : contact,
    Status: status,
    ...(date ? { Date: date.date, DateString: date.string } : {}),
    ...(due ? { DueDate: due.date, DueDateString: due.string } : {}),
    LineItems: lines,
    SubTotal: total,
    TotalTax: 0,
    Total: total,
    AmountDue: status === "PAID" || status === "VOIDED" ? 0 : total,
    AmountPaid: status === "PAID" ? total : 0,
  };
}
