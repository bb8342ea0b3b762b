/**
 * The hub's HubSpot requests against @hubspot/api-client's for the same operation: the contacts
 * list page and the modified-since search of a sync, and test connection. The SDK is given the
 * parameters the hub sends (the properties and associations it asks for); method, path, query,
 * auth scheme, content type and body are compared, the SDK's request intercepted on the host.
 */
import { Client } from "@hubspot/api-client";
import { describe, expect, it } from "vitest";
import { provider as hubspot } from "../../src/providers/hubspot/index.ts";
import type { ProviderSync } from "../../src/providers/sync.ts";
import { hubWire, sdkWire } from "./wire.ts";

const TOKEN = "pat-na1-official-0123456789";
const client = new Client({ accessToken: TOKEN, numberOfApiCallRetries: 0 });
const ctx = { baseUrl: "https://api.hubapi.com", config: {}, secrets: { private_app_token: TOKEN } };
const sync = hubspot.sync as ProviderSync;
const PAGE = { status: 200, body: { results: [], paging: {} } };

describe("hubspot (@hubspot/api-client)", () => {
  it("sync, full run: the contacts list page (GET /crm/v3/objects/contacts)", async () => {
    const hub = await hubWire(
      (x) =>
        sync
          .page(x, { entity: "contacts", cursor: null, since: null, pageSize: 100 })
          .then(() => ({ message: "" })),
      ctx,
      PAGE,
    );
    const properties = String(hub.query.properties).split(",");
    const sdk = await sdkWire(
      "https://api.hubapi.com",
      () =>
        client.crm.contacts.basicApi.getPage(
          100,
          undefined,
          properties,
          undefined,
          hub.query.associations ? String(hub.query.associations).split(",") : undefined,
          false,
        ),
      PAGE,
    );
    // Deliberate: the SDK repeats `properties` once per property, the hub sends the
    // comma-separated list HubSpot documents (both are accepted); and the SDK labels its bodiless
    // GET as JSON, the hub sends no content type.
    expect(sdk.query.properties).toEqual(properties);
    expect(hub).toEqual({
      ...sdk,
      query: { ...sdk.query, properties: properties.join(",") },
      contentType: undefined,
    });
    expect(hub.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("sync, incremental run: the modified-since search (POST /crm/v3/objects/contacts/search)", async () => {
    const since = "2026-11-01T00:00:00.000Z";
    const hub = await hubWire(
      (x) => sync.page(x, { entity: "contacts", cursor: null, since }).then(() => ({ message: "" })),
      ctx,
      PAGE,
    );
    const body = hub.body as { filterGroups: never; sorts: never; properties: string[]; limit: number };
    const sdk = await sdkWire(
      "https://api.hubapi.com",
      () =>
        client.crm.contacts.searchApi.doSearch({
          filterGroups: [
            {
              filters: [
                {
                  propertyName: "lastmodifieddate",
                  operator: "GTE" as never,
                  value: String(Date.parse(since)),
                },
              ],
            },
          ],
          sorts: [JSON.stringify({ propertyName: "lastmodifieddate", direction: "ASCENDING" })],
          properties: body.properties,
          limit: body.limit,
        }),
      PAGE,
    );
    // Deliberate: the SDK's typings take `sorts` as strings, so what it sends is a JSON string
    // per sort; the search API documents sort objects (`{propertyName, direction}`), which the
    // hub sends. Everything else is the same.
    const sdkBody = sdk.body as { sorts: string[] };
    expect(hub).toEqual({ ...sdk, body: { ...sdkBody, sorts: sdkBody.sorts.map((s) => JSON.parse(s)) } });
  });

  it("test connection: GET /account-info/v3/details (the SDK's generic apiRequest; it has no typed call)", async () => {
    const DETAILS = { status: 200, body: { portalId: 123, uiDomain: "app.hubspot.com" } };
    const hub = await hubWire((x) => hubspot.test(x), ctx, DETAILS);
    const sdk = await sdkWire(
      "https://api.hubapi.com",
      () => client.apiRequest({ method: "GET", path: "/account-info/v3/details" }),
      DETAILS,
    );
    expect(hub).toEqual({ ...sdk, contentType: undefined });
  });
});
