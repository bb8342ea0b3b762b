/**
 * The simulated Pages: three Pages every user token manages, listed by `GET /me/accounts`
 * (fields, `limit` and `after` cursors, as Graph pages edges) each with its Page access token.
 * A Page token names its Page (`EAAGsbxPage<page id>Z…`), so the simulator knows which Page a
 * call is made for without keeping state; a Page token asking for `/me/accounts` gets Graph's
 * error for a field a Page node does not have.
 */
import { simulator } from "../../lib.ts";
import { accessToken, graphError, randomToken, rejectAuth, VERSION } from "./graph.ts";

export const PAGES = [
  { id: "100000000000001", name: "Sandbox Page", category: "Software" },
  { id: "100000000000002", name: "Sandbox Cafe", category: "Cafe" },
  { id: "100000000000003", name: "Sandbox Store", category: "Shopping & retail" },
];

const TASKS = ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"];

export const pageOf = (id: string | undefined) => PAGES.find((p) => p.id === id);

/** The Page a Page token stands for, if the token is one. */
export const tokenPage = (token: string | undefined): string | undefined =>
  token?.match(/^EAAGsbxPage(\d+)Z/)?.[1];

/** A new Page token for a Page. */
export const pageToken = (pageId: string) =>
  `EAAGsbxPage${pageId}Z${randomToken(24).replace(/[^A-Za-z0-9]/g, "")}`;

const cursor = (offset: number) => btoa(`offset:${offset}`).replace(/=+$/, "");
const offsetOf = (after: string | undefined) => {
  if (!after) return 0;
  try {
    const n = Number(atob(after).match(/^offset:(\d+)$/)?.[1]);
    return Number.isInteger(n) ? n : 0;
  } catch {
    return 0;
  }
};

export const pages = simulator();

pages.get(`/${VERSION}/me/accounts`, (c) => {
  const denied = rejectAuth(c, "me");
  if (denied) return denied;
  if (tokenPage(accessToken(c)))
    return graphError(400, {
      message: "(#100) Tried accessing nonexisting field (accounts) on node type (Page)",
      code: 100,
    });
  const limit = Math.min(100, Math.max(1, Number(c.req.query("limit") ?? 25) || 25));
  const from = offsetOf(c.req.query("after"));
  const fields = c.req
    .query("fields")
    ?.split(",")
    .map((f) => f.trim());
  const slice = PAGES.slice(from, from + limit).map((p) => {
    const all: Record<string, unknown> = { ...p, access_token: pageToken(p.id), tasks: TASKS };
    return fields
      ? Object.fromEntries(Object.entries(all).filter(([k]) => k === "id" || fields.includes(k)))
      : all;
  });
  const more = from + limit < PAGES.length;
  const url = new URL(c.req.url);
  url.searchParams.set("after", cursor(from + limit));
  url.searchParams.delete("access_token");
  return Response.json({
    data: slice,
    paging: {
      cursors: { before: cursor(from), after: cursor(from + slice.length) },
      ...(more ? { next: url.toString() } : {}),
    },
  });
});
