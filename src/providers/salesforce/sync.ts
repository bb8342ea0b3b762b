/**
 * Salesforce record sync (providers.md §16): accounts, contacts and products (Product2, priced
 * from its active standard PricebookEntry) over SOQL. A full run pages `query` (live rows); an
 * incremental run pages `queryAll` with `SystemModstamp > since`, whose deleted rows
 * (`IsDeleted = true`) are the tombstones. The next page is the answer's `nextRecordsUrl`,
 * fetched as is.
 */
import { oauthBearer } from "../other/bearer.ts";
import { field, type ProviderContext, ProviderError, request } from "../runtime.ts";
import {
  amount,
  type CustomerData,
  email,
  isoFrom,
  type ProductData,
  type ProviderSync,
  type RecordData,
  type SyncEntity,
  type SyncItem,
  type SyncPage,
  type SyncPageRequest,
  str,
} from "../sync.ts";
import { API_VERSION, apiBase, failure } from "./client.ts";

type Row = Record<string, unknown>;

interface ObjectSpec {
  sobject: string;
  fields: string[];
  map(row: Row): RecordData;
}

/** `Sforce-Query-Options: batchSize` takes 200 to 2,000. */
const BATCH_MIN = 200;
const BATCH_MAX = 2000;

const address = (row: Row, prefix: "Billing" | "Mailing") => {
  const a = {
    line1: str(row[`${prefix}Street`]),
    line2: null,
    city: str(row[`${prefix}City`]),
    region: str(row[`${prefix}State`]),
    postal_code: str(row[`${prefix}PostalCode`]),
    country: str(row[`${prefix}Country`]),
  };
  return Object.values(a).some((v) => v !== null) ? a : null;
};

const account = (row: Row): CustomerData => ({
  name: str(row.Name) ?? String(row.Id),
  email: null,
  phone: str(row.Phone),
  company: str(row.Name),
  address: address(row, "Billing"),
});

const contact = (row: Row): CustomerData => {
  const name = str(row.Name) ?? [str(row.FirstName), str(row.LastName)].filter(Boolean).join(" ");
  return {
    name: name || email(row.Email) || String(row.Id),
    email: email(row.Email),
    phone: str(row.Phone) ?? str(row.MobilePhone),
    company: str(field(row, "Account", "Name")),
    address: address(row, "Mailing"),
  };
};

const product = (row: Row): ProductData => {
  const entries = field(row, "PricebookEntries", "records");
  const entry = Array.isArray(entries) ? entries[0] : undefined;
  return {
    sku: str(row.ProductCode),
    name: str(row.Name) ?? String(row.Id),
    description: str(row.Description)?.slice(0, 4000) ?? null,
    price: amount(field(entry, "UnitPrice")),
    // Orgs without multiple currencies have no CurrencyIsoCode field to ask for.
    currency: null,
  };
};

const SPECS: Record<string, ObjectSpec> = {
  accounts: {
    sobject: "Account",
    fields: [
      "Id",
      "Name",
      "Phone",
      "BillingStreet",
      "BillingCity",
      "BillingState",
      "BillingPostalCode",
      "BillingCountry",
      "SystemModstamp",
      "IsDeleted",
    ],
    map: account,
  },
  contacts: {
    sobject: "Contact",
    fields: [
      "Id",
      "Name",
      "FirstName",
      "LastName",
      "Email",
      "Phone",
      "MobilePhone",
      "Account.Name",
      "MailingStreet",
      "MailingCity",
      "MailingState",
      "MailingPostalCode",
      "MailingCountry",
      "SystemModstamp",
      "IsDeleted",
    ],
    map: contact,
  },
  products: {
    sobject: "Product2",
    fields: [
      "Id",
      "Name",
      "ProductCode",
      "Description",
      "SystemModstamp",
      "IsDeleted",
      "(SELECT UnitPrice FROM PricebookEntries WHERE IsActive = true AND Pricebook2.IsStandard = true LIMIT 1)",
    ],
    map: product,
  },
};

const entities: Record<string, SyncEntity> = {
  accounts: { kind: "customer", aliases: ["customers"], incremental: true, deletions: "tombstones" },
  contacts: { kind: "customer", incremental: true, deletions: "tombstones" },
  products: { kind: "product", incremental: true, deletions: "tombstones" },
};

function specOf(entity: string): ObjectSpec {
  const spec = SPECS[entity === "customers" ? "accounts" : entity];
  if (!spec) throw new ProviderError("permanent", `Salesforce cannot sync ${entity}`);
  return spec;
}

/** A SOQL datetime literal, whole seconds rounded down so nothing in the since-second is missed. */
function soqlDateTime(since: string): string {
  const ms = Date.parse(since);
  if (!Number.isFinite(ms)) throw new ProviderError("permanent", `Salesforce: since is not a date: ${since}`);
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** The SOQL of a run's first page and the resource that runs it (`query` or `queryAll`). */
export function firstQuery(entity: string, since: string | null): { path: string; soql: string } {
  const spec = specOf(entity);
  const select = `SELECT ${spec.fields.join(", ")} FROM ${spec.sobject}`;
  if (!since) return { path: `/services/data/${API_VERSION}/query`, soql: `${select} ORDER BY Id` };
  return {
    path: `/services/data/${API_VERSION}/queryAll`,
    soql: `${select} WHERE SystemModstamp > ${soqlDateTime(since)} ORDER BY SystemModstamp, Id`,
  };
}

/** `2026-01-01T00:00:01.000+0000` as ISO 8601. */
const modstamp = (v: unknown) =>
  isoFrom(typeof v === "string" ? v.replace(/([+-]\d{2})(\d{2})$/, "$1:$2") : v);

async function page(ctx: ProviderContext, req: SyncPageRequest): Promise<SyncPage> {
  const spec = specOf(req.entity);
  const api = apiBase(ctx);
  const batch = Math.max(BATCH_MIN, Math.min(req.pageSize ?? BATCH_MAX, BATCH_MAX));
  let path: string;
  let query: Record<string, string> | undefined;
  if (req.cursor) {
    // nextRecordsUrl is a path under the instance URL, followed as is.
    if (!req.cursor.startsWith("/services/data/")) {
      throw new ProviderError("permanent", "Salesforce: the sync cursor is not a nextRecordsUrl");
    }
    path = req.cursor;
  } else {
    const first = firstQuery(req.entity, req.since);
    path = first.path;
    query = { q: first.soql };
  }
  const res = await request(api, {
    path,
    query,
    headers: { ...oauthBearer(ctx), "sforce-query-options": `batchSize=${batch}` },
  });
  if (res.status !== 200) throw failure(res);
  const records = field(res.data, "records");
  const items: SyncItem[] = [];
  const deleted: string[] = [];
  for (const row of Array.isArray(records) ? (records as Row[]) : []) {
    const id = str(row?.Id);
    if (!id) continue;
    if (row.IsDeleted === true) {
      deleted.push(id);
      continue;
    }
    items.push({ externalId: id, data: spec.map(row), raw: row, modifiedAt: modstamp(row.SystemModstamp) });
  }
  const done = field(res.data, "done") !== false;
  const next = str(field(res.data, "nextRecordsUrl"));
  return { items, ...(deleted.length ? { deleted } : {}), next: !done && next ? next : null };
}

/** Salesforce's sync declaration. */
export const sync: ProviderSync = { entities, page };
