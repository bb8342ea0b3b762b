/**
 * The 001 guide's React `IntegrationsManager` (IntegrationsManager.jsx, verbatim but for
 * API_BASE_URL) rendered in jsdom, talking through axios to the real worker in workerd.
 *
 * The page is a frontend on its own origin and API_BASE_URL is the worker's URL (set through
 * VITE_API_BASE_URL, see vitest.config.ts), so every call is cross-origin: jsdom's XHR, which
 * axios uses, enforces CORS and preflights as a browser does. The authorization header is added
 * here, as an axios default header.
 */
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import axios from "axios";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import IntegrationsManager from "./IntegrationsManager.jsx";

const { baseUrl, adminToken, orgId, apiKey } = inject("switchboard");

/** A request to the worker from Node (not through the component), for seeding and checking. */
async function api(method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Creates an integration through the 001 endpoint; returns its id. */
async function seed(body: Record<string, unknown>): Promise<string> {
  const r = await api("POST", "/create-organization-integration", apiKey, { org_id: orgId, ...body });
  if (r.status !== 201) throw new Error(`seed failed: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.integration.id;
}

/** The integration as the server holds it, read through the REST API (null once deleted). */
async function onServer(id: string) {
  const r = await api("GET", `/api/integrations/${id}`, apiKey);
  if (r.status === 404) return null;
  expect(r.status).toBe(200);
  return r.json.integration as { id: string; name: string; is_active: boolean };
}

/** The list item of the integration named `name`. */
function item(name: string): HTMLElement {
  const li = screen.getByRole("heading", { name, level: 3 }).closest("li");
  if (!li) throw new Error(`no list item for ${name}`);
  return li;
}

const setAuth = (key: string | null) => {
  if (key) axios.defaults.headers.common.Authorization = `Bearer ${key}`;
  else delete axios.defaults.headers.common.Authorization;
};

let facebookId: string;
let hubspotId: string;
let otherId: string;

beforeAll(async () => {
  expect(window.location.origin).not.toBe(baseUrl);
  // What FacebookIntegrationForm submits (no page id), plus two more types from the guide.
  facebookId = await seed({
    integration_type: "facebook",
    name: "Company Facebook Page",
    access_token: "EAABbmNuhsFYBACl1zUIfRQP7rqZASPqBbAMy",
    is_active: true,
  });
  hubspotId = await seed({
    integration_type: "hubspot",
    name: "Sales HubSpot",
    access_token: "pat-na1-0000",
    is_active: false,
  });
  otherId = await seed({ integration_type: "other", name: "Legacy Other", is_active: true });
});

afterEach(() => {
  cleanup();
  setAuth(null);
  vi.restoreAllMocks();
});

describe("IntegrationsManager (001 guide) against the worker", () => {
  it("lists the organization's integrations as the server has them", async () => {
    setAuth(apiKey);
    render(<IntegrationsManager orgId={orgId} />);
    expect(screen.getByText("Loading integrations...")).toBeTruthy();
    await screen.findByRole("heading", { name: "Organization Integrations" });

    const names = screen.getAllByRole("heading", { level: 3 }).map((h) => h.textContent);
    const listed = await api("GET", `/organization-integrations?org_id=${orgId}`, apiKey);
    expect(names).toEqual(listed.json.integrations.map((i: { name: string }) => i.name));
    expect(names).toEqual(expect.arrayContaining(["Company Facebook Page", "Sales HubSpot", "Legacy Other"]));

    const fb = within(item("Company Facebook Page"));
    expect(fb.getByText("Active")).toBeTruthy();
    expect(fb.getByText("Type: facebook")).toBeTruthy();
    // The generated webhook URL, on the worker's origin.
    expect(fb.getByText(`Webhook URL: ${baseUrl}/webhook?org_id=${orgId}`)).toBeTruthy();
    expect(fb.getByRole("button", { name: "Deactivate" })).toBeTruthy();

    const hs = within(item("Sales HubSpot"));
    expect(hs.getByText("Inactive")).toBeTruthy();
    expect(hs.getByText("Type: hubspot")).toBeTruthy();
    expect(hs.getByRole("button", { name: "Activate" })).toBeTruthy();
  });

  it("Deactivate and Activate change the server's state", async () => {
    setAuth(apiKey);
    render(<IntegrationsManager orgId={orgId} />);
    await screen.findByRole("heading", { name: "Organization Integrations" });

    fireEvent.click(within(item("Company Facebook Page")).getByRole("button", { name: "Deactivate" }));
    await within(item("Company Facebook Page")).findByRole("button", { name: "Activate" });
    expect(within(item("Company Facebook Page")).getByText("Inactive")).toBeTruthy();
    expect((await onServer(facebookId))?.is_active).toBe(false);

    fireEvent.click(within(item("Sales HubSpot")).getByRole("button", { name: "Activate" }));
    await within(item("Sales HubSpot")).findByRole("button", { name: "Deactivate" });
    expect(within(item("Sales HubSpot")).getByText("Active")).toBeTruthy();
    expect((await onServer(hubspotId))?.is_active).toBe(true);

    fireEvent.click(within(item("Company Facebook Page")).getByRole("button", { name: "Activate" }));
    await within(item("Company Facebook Page")).findByRole("button", { name: "Deactivate" });
    expect((await onServer(facebookId))?.is_active).toBe(true);
    expect(screen.queryByText(/Failed to/)).toBeNull();
  });

  it("Delete asks for confirmation and removes the integration on the server", async () => {
    setAuth(apiKey);
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(false);
    render(<IntegrationsManager orgId={orgId} />);
    await screen.findByRole("heading", { name: "Organization Integrations" });

    // Answering no keeps it.
    fireEvent.click(within(item("Legacy Other")).getByRole("button", { name: "Delete" }));
    expect(confirm).toHaveBeenCalledWith("Are you sure you want to delete this integration?");
    expect(screen.getByRole("heading", { name: "Legacy Other", level: 3 })).toBeTruthy();
    expect(await onServer(otherId)).not.toBeNull();

    confirm.mockReturnValue(true);
    fireEvent.click(within(item("Legacy Other")).getByRole("button", { name: "Delete" }));
    expect(confirm).toHaveBeenCalledTimes(2);
    await waitFor(() => expect(screen.queryByRole("heading", { name: "Legacy Other", level: 3 })).toBeNull());
    expect(await onServer(otherId)).toBeNull();
    expect(screen.queryByText(/Failed to/)).toBeNull();
  });

  it("a fresh render shows the server's state after the toggles and the delete", async () => {
    setAuth(apiKey);
    render(<IntegrationsManager orgId={orgId} />);
    await screen.findByRole("heading", { name: "Organization Integrations" });
    expect(screen.queryByRole("heading", { name: "Legacy Other", level: 3 })).toBeNull();
    expect(within(item("Company Facebook Page")).getByText("Active")).toBeTruthy();
    expect(within(item("Sales HubSpot")).getByText("Active")).toBeTruthy();
  });

  it("an organization with no integrations gets the empty message", async () => {
    const created = await api("POST", "/admin/organizations", adminToken, { name: "Empty org" });
    expect(created.status).toBe(201);
    setAuth(created.json.api_key);
    render(<IntegrationsManager orgId={created.json.organization.id} />);
    expect(await screen.findByText("No integrations found. Create one to get started.")).toBeTruthy();
  });

  it("without the authorization header the component shows its fetch error", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    render(<IntegrationsManager orgId={orgId} />);
    expect(await screen.findByText("Failed to fetch integrations")).toBeTruthy();
    // The component logs the axios error: the worker answered 401.
    const [err] = logged.mock.calls[0] ?? [];
    expect((err as { response?: { status?: number } } | undefined)?.response?.status).toBe(401);
  });
});
