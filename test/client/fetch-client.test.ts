/**
 * The 001 guide's six fetch functions (reference-client.js, verbatim but for the base URL and an
 * Authorization header) against the real worker and D1, inside workerd.
 *
 * Transport only: global `fetch` is wrapped so that requests for API_BASE_URL go to the worker's
 * own fetch handler (`exports.default.fetch`) instead of the network. The requests themselves,
 * and how the functions read the responses, are the guide's.
 */
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { newOrg, type TestOrg } from "../harness.ts";
import {
  API_BASE_URL,
  createIntegration,
  deleteIntegration,
  getIntegrationDetails,
  getIntegrations,
  setApiKey,
  toggleIntegration,
  updateIntegration,
} from "./reference-client.js";

const MASK = "••••••";
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A well-formed id that names no integration. */
const MISSING_ID = "00000000-0000-4000-8000-000000000000";

/** The fields of a list item, as the guide's List response shows them. */
const LIST_FIELDS = [
  "id",
  "org_id",
  "integration_type",
  "name",
  "is_active",
  "api_base_url",
  "webhook_url",
  "created_at",
  "updated_at",
];

/** The row as D1 holds it, read around the API. */
async function stored(id: string) {
  return env.DB.prepare("SELECT name, is_active, config, webhook_url FROM integrations WHERE id = ?")
    .bind(id)
    .first<{ name: string; is_active: number; config: string; webhook_url: string | null }>();
}

/** Runs a guide function that is expected to fail; returns what it threw and what it logged. */
async function failure(run: () => Promise<unknown>) {
  const log = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    await run();
  } catch (e) {
    return { error: e as Error, logged: log.mock.calls };
  } finally {
    log.mockRestore();
  }
  throw new Error("expected the call to throw");
}

let org: TestOrg;

beforeAll(async () => {
  const realFetch = globalThis.fetch;
  vi.stubGlobal("fetch", (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    return request.url.startsWith(`${API_BASE_URL}/`) ? exports.default.fetch(request) : realFetch(request);
  });
  org = await newOrg("Guide client org");
  setApiKey(org.adminKey);
});

afterAll(() => {
  vi.unstubAllGlobals();
});

describe("001 guide fetch functions against the worker", () => {
  it("createIntegration with the guide's full request body returns the integration, secrets masked", async () => {
    // The body of the guide's "3. Create Integration" section.
    const body = {
      org_id: org.orgId,
      integration_type: "facebook",
      name: "Facebook Messenger Integration",
      api_base_url: "https://graph.facebook.com/v17.0",
      webhook_url: "https://example.com/webhook",
      webhook_verify_token: "your_custom_verify_token",
      api_key: "your_api_key",
      api_secret: "your_api_secret",
      access_token: "your_access_token",
      refresh_token: "your_refresh_token",
      config: { page_id: "123456789012345", verify_token: "your_verification_token" },
      is_active: false,
    };
    const created = await createIntegration(body);
    expect(created).toMatchObject({
      org_id: org.orgId,
      integration_type: "facebook",
      name: "Facebook Messenger Integration",
      is_active: false,
      api_base_url: "https://graph.facebook.com/v17.0",
      webhook_url: "https://example.com/webhook",
      webhook_verify_token: "your_custom_verify_token",
      api_key: "your_api_key",
      api_secret: MASK,
      access_token: MASK,
      refresh_token: MASK,
      config: { page_id: "123456789012345", verify_token: "your_verification_token" },
    });
    expect(created.id).toMatch(UUID);
    expect(created.created_at).toMatch(ISO);
    expect(created.updated_at).toMatch(ISO);
    const text = JSON.stringify(created);
    for (const secret of ["your_api_secret", "your_access_token", "your_refresh_token"]) {
      expect(text).not.toContain(secret);
    }

    // getIntegrationDetails shows the same, secrets still masked.
    const detail = await getIntegrationDetails(created.id);
    expect(detail).toMatchObject({
      id: created.id,
      name: "Facebook Messenger Integration",
      api_key: "your_api_key",
      api_secret: MASK,
      access_token: MASK,
      refresh_token: MASK,
      config: { page_id: "123456789012345", verify_token: "your_verification_token" },
      created_at: created.created_at,
    });
    expect(detail).toHaveProperty("token_expires_at");
    expect(JSON.stringify(detail)).not.toContain("your_access_token");
  });

  it("a facebook integration from the FacebookIntegrationForm mapping gets a generated webhook URL and verify token", async () => {
    // What FacebookIntegrationForm's handleSubmit sends, for the form without and with a page id.
    const forms = [
      {
        name: "Company Facebook Page",
        access_token: "EAABbmNuhsFYBACl1zUIfRQP7rqZASPqBbAMy",
        page_id: "",
        is_active: true,
      },
      {
        name: "Second Page",
        access_token: "EAAsecondpagetoken",
        page_id: "123456789012345",
        is_active: false,
      },
    ];
    for (const formData of forms) {
      const integrationData: Record<string, unknown> = {
        org_id: org.orgId,
        integration_type: "facebook",
        name: formData.name,
        access_token: formData.access_token,
        is_active: formData.is_active,
      };
      if (formData.page_id) {
        integrationData.config = { page_id: formData.page_id };
      }
      const created = await createIntegration(integrationData);
      expect(created).toMatchObject({
        org_id: org.orgId,
        integration_type: "facebook",
        name: formData.name,
        is_active: formData.is_active,
        webhook_url: `${API_BASE_URL}/webhook?org_id=${org.orgId}`,
        access_token: MASK,
        config: formData.page_id ? { page_id: formData.page_id } : {},
      });
      expect(created.webhook_verify_token).toEqual(expect.any(String));
      expect(created.webhook_verify_token.length).toBeGreaterThanOrEqual(16);
      expect(JSON.stringify(created)).not.toContain(formData.access_token);
      // The generated values are stored: the detail shows the same ones.
      const detail = await getIntegrationDetails(created.id);
      expect(detail.webhook_url).toBe(created.webhook_url);
      expect(detail.webhook_verify_token).toBe(created.webhook_verify_token);
    }

    // The guide's minimal request: only the four required fields.
    const minimal = await createIntegration({
      org_id: org.orgId,
      integration_type: "facebook",
      name: "Minimal Page",
      access_token: "EAAminimal",
    });
    expect(minimal.webhook_url).toBe(`${API_BASE_URL}/webhook?org_id=${org.orgId}`);
    expect(minimal.webhook_verify_token).toEqual(expect.any(String));
    expect(typeof minimal.is_active).toBe("boolean");
  });

  it("getIntegrations lists the organization's integrations with the documented fields, active_only filters", async () => {
    const active = await createIntegration({
      org_id: org.orgId,
      integration_type: "hubspot",
      name: "Listed HubSpot",
      access_token: "pat-na1-listed",
      is_active: true,
    });
    const inactive = await createIntegration({
      org_id: org.orgId,
      integration_type: "other",
      name: "Listed Other",
      is_active: false,
    });

    const all = await getIntegrations(org.orgId);
    expect(Array.isArray(all)).toBe(true);
    const ids = all.map((i: { id: string }) => i.id);
    expect(ids).toEqual(expect.arrayContaining([active.id, inactive.id]));
    for (const item of all) {
      for (const field of LIST_FIELDS) expect(item).toHaveProperty(field);
      expect(item.org_id).toBe(org.orgId);
      expect(typeof item.is_active).toBe("boolean");
      // The list never carries credentials.
      for (const secret of ["api_secret", "access_token", "refresh_token"])
        expect(item).not.toHaveProperty(secret);
    }
    expect(all.find((i: { id: string }) => i.id === active.id)).toMatchObject({
      integration_type: "hubspot",
      name: "Listed HubSpot",
      is_active: true,
    });

    const activeOnly = await getIntegrations(org.orgId, true);
    expect(activeOnly.map((i: { id: string }) => i.id)).toContain(active.id);
    expect(activeOnly.map((i: { id: string }) => i.id)).not.toContain(inactive.id);
    expect(activeOnly.every((i: { is_active: boolean }) => i.is_active)).toBe(true);
  });

  it("updateIntegration changes name, webhook_url and config, and the server keeps the change", async () => {
    const created = await createIntegration({
      org_id: org.orgId,
      integration_type: "facebook",
      name: "To Update",
      access_token: "EAAtoupdate",
      config: { page_id: "123456789012345" },
      is_active: false,
    });
    // The guide's "4. Update Integration" body.
    const updated = await updateIntegration({
      id: created.id,
      name: "Updated Facebook Integration",
      webhook_url: "https://example.com/updated-webhook",
      config: { page_id: "987654321098765", verify_token: "updated_verify_token" },
    });
    expect(updated).toMatchObject({
      id: created.id,
      org_id: org.orgId,
      integration_type: "facebook",
      name: "Updated Facebook Integration",
      is_active: false,
      webhook_url: "https://example.com/updated-webhook",
      config: { page_id: "987654321098765", verify_token: "updated_verify_token" },
    });
    expect(updated.updated_at).toMatch(ISO);
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));

    const detail = await getIntegrationDetails(created.id);
    expect(detail).toMatchObject({
      name: "Updated Facebook Integration",
      webhook_url: "https://example.com/updated-webhook",
      config: { page_id: "987654321098765", verify_token: "updated_verify_token" },
      access_token: MASK,
    });
    const row = await stored(created.id);
    expect(row?.name).toBe("Updated Facebook Integration");
    expect(row?.webhook_url).toBe("https://example.com/updated-webhook");
    expect(JSON.parse(row?.config ?? "{}")).toMatchObject({ page_id: "987654321098765" });
  });

  it("toggleIntegration activates and deactivates, as stored in D1", async () => {
    const created = await createIntegration({
      org_id: org.orgId,
      integration_type: "facebook",
      name: "To Toggle",
      access_token: "EAAtotoggle",
      is_active: false,
    });
    const on = await toggleIntegration(created.id, true);
    expect(on).toMatchObject({
      id: created.id,
      org_id: org.orgId,
      integration_type: "facebook",
      name: "To Toggle",
      is_active: true,
    });
    expect(on.updated_at).toMatch(ISO);
    expect((await stored(created.id))?.is_active).toBe(1);
    expect((await getIntegrationDetails(created.id)).is_active).toBe(true);

    const off = await toggleIntegration(created.id, false);
    expect(off.is_active).toBe(false);
    expect((await stored(created.id))?.is_active).toBe(0);
    expect((await getIntegrations(org.orgId, true)).map((i: { id: string }) => i.id)).not.toContain(
      created.id,
    );
  });

  it("deleteIntegration returns the guide's message and the integration is gone", async () => {
    const created = await createIntegration({
      org_id: org.orgId,
      integration_type: "other",
      name: "To Delete",
    });
    await expect(deleteIntegration(created.id)).resolves.toBe("Integration deleted successfully");
    expect(await stored(created.id)).toBeNull();
    expect((await getIntegrations(org.orgId)).map((i: { id: string }) => i.id)).not.toContain(created.id);
    const gone = await failure(() => getIntegrationDetails(created.id));
    expect(gone.error.message).toBe("Error: 404");
  });

  it("a non-existent id throws Error: 404 from get, update, toggle and delete, and is logged", async () => {
    const cases: [string, () => Promise<unknown>][] = [
      ["Failed to fetch integration details:", () => getIntegrationDetails(MISSING_ID)],
      ["Failed to update integration:", () => updateIntegration({ id: MISSING_ID, name: "Nobody" })],
      ["Failed to toggle integration:", () => toggleIntegration(MISSING_ID, true)],
      ["Failed to delete integration:", () => deleteIntegration(MISSING_ID)],
    ];
    for (const [logLine, run] of cases) {
      const { error, logged } = await failure(run);
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toBe("Error: 404");
      expect(logged).toEqual([[logLine, error]]);
    }
  });

  it("invalid input throws Error: 400 (the guide's Bad Request)", async () => {
    const missingName = await failure(() =>
      createIntegration({ org_id: org.orgId, integration_type: "facebook", access_token: "EAAx" }),
    );
    expect(missingName.error.message).toBe("Error: 400");
    const badType = await failure(() =>
      createIntegration({ org_id: org.orgId, integration_type: "myspace", name: "Nope" }),
    );
    expect(badType.error.message).toBe("Error: 400");
  });

  it("another organization's integration is a 404, and its list is not readable", async () => {
    const other = await newOrg("Someone else");
    setApiKey(other.adminKey);
    let theirs: { id: string };
    try {
      theirs = await createIntegration({ org_id: other.orgId, integration_type: "other", name: "Theirs" });
    } finally {
      setApiKey(org.adminKey);
    }
    expect((await failure(() => getIntegrationDetails(theirs.id))).error.message).toBe("Error: 404");
    expect((await failure(() => toggleIntegration(theirs.id, false))).error.message).toBe("Error: 404");
    expect((await failure(() => deleteIntegration(theirs.id))).error.message).toBe("Error: 404");
    expect((await failure(() => getIntegrations(other.orgId))).error.message).toBe("Error: 403");
    expect((await stored(theirs.id))?.name).toBe("Theirs");
  });
});
