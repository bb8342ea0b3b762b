/**
 * The hub's Salesforce requests against jsforce's for the same operation: a full sync's first
 * page (`query`), an incremental one's (`queryAll`, jsforce's `scanAll`, which also returns
 * deleted rows) and test connection (`limits`). jsforce is given the SOQL the hub sends and the
 * hub's API version;
 * method, path, query, auth scheme, content type and body are compared, jsforce's request
 * intercepted on the instance host.
 */
import { Connection } from "jsforce";
import { describe, expect, it } from "vitest";
import { API_VERSION } from "../../src/providers/salesforce/client.ts";
import { provider as salesforce } from "../../src/providers/salesforce/index.ts";
import { firstQuery } from "../../src/providers/salesforce/sync.ts";
import type { ProviderSync } from "../../src/providers/sync.ts";
import { hubWire, sdkWire } from "./wire.ts";

const TOKEN = "00D5g000000official!check";
const INSTANCE = "https://acme.my.salesforce.com";
const ctx = {
  baseUrl: "https://login.salesforce.com",
  config: { instance_url: INSTANCE },
  secrets: { access_token: TOKEN },
};
const sync = salesforce.sync as ProviderSync;
const conn = () =>
  new Connection({ instanceUrl: INSTANCE, accessToken: TOKEN, version: API_VERSION.replace(/^v/, "") });
const PAGE = { status: 200, body: { totalSize: 0, done: true, records: [] } };

/** jsforce labels its GETs as JSON; the hub sends no content type on a GET. */
const withoutType = <T extends { contentType: unknown }>(w: T) => ({ ...w, contentType: undefined });

describe("salesforce (jsforce)", () => {
  it("full sync, first page: GET /services/data/{v}/query?q=SELECT … ORDER BY Id", async () => {
    const hub = await hubWire(
      (x) => sync.page(x, { entity: "accounts", cursor: null, since: null }).then(() => ({ message: "" })),
      ctx,
      PAGE,
    );
    const sdk = await sdkWire(
      INSTANCE,
      async () => await conn().query(firstQuery("accounts", null).soql),
      PAGE,
    );
    expect(hub).toEqual(withoutType(sdk));
    expect(hub.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("incremental sync, first page: GET /services/data/{v}/queryAll?q=… WHERE SystemModstamp > …", async () => {
    const since = "2026-11-01T00:00:00.000Z";
    const hub = await hubWire(
      (x) => sync.page(x, { entity: "contacts", cursor: null, since }).then(() => ({ message: "" })),
      ctx,
      PAGE,
    );
    const sdk = await sdkWire(
      INSTANCE,
      async () => await conn().query(firstQuery("contacts", since).soql).scanAll(true),
      PAGE,
    );
    expect(hub).toEqual(withoutType(sdk));
  });

  it("test connection: GET /services/data/{v}/limits", async () => {
    const limits = { status: 200, body: { DailyApiRequests: { Max: 15000, Remaining: 14990 } } };
    const hub = await hubWire(
      (x) => (salesforce.test as NonNullable<typeof salesforce.test>)(x),
      ctx,
      limits,
    );
    const sdk = await sdkWire(INSTANCE, () => conn().limits(), limits);
    expect(hub).toEqual(withoutType(sdk));
  });
});
