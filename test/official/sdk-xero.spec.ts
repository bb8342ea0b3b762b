/**
 * The hub's Xero sync requests against xero-node's (Xero's own SDK) for the same operation: a page
 * of contacts (archived ones included, as tombstones), of sales invoices and of received
 * payments, and the unpaged items list. The SDK is given the parameters the hub sends; method,
 * path, query, auth scheme, content type and body are compared, the SDK's request intercepted on
 * the host.
 */
import { describe, expect, it } from "vitest";
import { AccountingApi } from "xero-node";
import type { ProviderSync } from "../../src/providers/sync.ts";
import { provider as xero } from "../../src/providers/xero/index.ts";
import { hubWire, sdkWire } from "./wire.ts";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.official-check";
const TENANT = "4a7b1c2d-0e9f-4a3b-8c7d-6e5f4a3b2c1d";
const ORIGIN = "https://api.xero.com";
const ctx = { baseUrl: ORIGIN, config: { tenant_id: TENANT }, secrets: { access_token: TOKEN } };
const sync = xero.sync as ProviderSync;

function api(): AccountingApi {
  const a = new AccountingApi(`${ORIGIN}/api.xro/2.0`);
  a.accessToken = TOKEN;
  return a;
}

const hubPage = (entity: string) =>
  hubWire((x) => sync.page(x, { entity, cursor: null, since: null }).then(() => ({ message: "" })), ctx, {
    status: 200,
    body: {},
  });

/** xero-node labels its bodiless GETs as JSON; the hub sends no content type on a GET. */
const withoutType = <T extends { contentType: unknown }>(w: T) => ({ ...w, contentType: undefined });

describe("xero (xero-node)", () => {
  it("contacts page, archived included (GET /Contacts?page&pageSize&includeArchived)", async () => {
    const hub = await hubPage("customers");
    const sdk = await sdkWire(
      ORIGIN,
      () =>
        api().getContacts(
          TENANT,
          undefined,
          undefined,
          undefined,
          undefined,
          1,
          true,
          undefined,
          undefined,
          100,
        ),
      { status: 200, body: { Contacts: [] } },
    );
    expect(hub).toEqual(withoutType(sdk));
    expect(hub.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('sales invoices page (GET /Invoices?where=Type=="ACCREC"&page&pageSize)', async () => {
    const hub = await hubPage("invoices");
    const sdk = await sdkWire(
      ORIGIN,
      () =>
        api().getInvoices(
          TENANT,
          undefined,
          'Type=="ACCREC"',
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          1,
          undefined,
          undefined,
          undefined,
          undefined,
          100,
        ),
      { status: 200, body: { Invoices: [] } },
    );
    expect(hub).toEqual(withoutType(sdk));
  });

  it('received payments page (GET /Payments?where=PaymentType=="ACCRECPAYMENT"&page&pageSize)', async () => {
    const hub = await hubPage("payments");
    const sdk = await sdkWire(
      ORIGIN,
      () => api().getPayments(TENANT, undefined, 'PaymentType=="ACCRECPAYMENT"', undefined, 1, 100),
      { status: 200, body: { Payments: [] } },
    );
    expect(hub).toEqual(withoutType(sdk));
  });

  it("items, unpaged (GET /Items)", async () => {
    const hub = await hubPage("products");
    const sdk = await sdkWire(ORIGIN, () => api().getItems(TENANT), { status: 200, body: { Items: [] } });
    expect(hub).toEqual(withoutType(sdk));
  });
});
