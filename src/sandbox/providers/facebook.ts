/**
 * Simulated Meta Graph API for a Facebook Page: `GET /{version}/me`, the Messenger Send API
 * `POST /{version}/{page-id|me}/messages`, the Pages a user token manages (`GET /me/accounts`,
 * facebook/pages.ts), Page and post insights (facebook/insights.ts) and Lead Ads leads. The
 * Graph behaviour the Instagram and WhatsApp simulators share is in facebook/graph.ts, Facebook
 * Login in facebook/login.ts.
 *
 * Stricter than Graph in one respect: paths must pin a version (`/v25.0/...`), as providers.md §1
 * requires of callers; an unversioned path gets Graph's "Unknown path components" error.
 */
import { simulator } from "../lib.ts";
import {
  accessToken,
  graphError,
  invalidParam,
  pick,
  randomToken,
  rejectAuth,
  sendApi,
  unknownPaths,
  usageHeader,
  VERSION,
} from "./facebook/graph.ts";
import { insights } from "./facebook/insights.ts";
import { pageOf, pages, tokenPage } from "./facebook/pages.ts";

export * from "./facebook/graph.ts";
export { facebookOAuth, oauthGraphError } from "./facebook/login.ts";

export const facebook = simulator();
// The Page a Page access token stands for (a token that names none: the first Page).
const PAGE = { id: "100000000000001", name: "Sandbox Page" };
const pageFor = (c: Parameters<typeof rejectAuth>[0]) => {
  const page = pageOf(tokenPage(accessToken(c)));
  return page ? { id: page.id, name: page.name } : PAGE;
};

facebook.get(`/${VERSION}/me`, (c) => rejectAuth(c, "me") ?? Response.json(pick(c, pageFor(c))));

facebook.post(
  `/${VERSION}/:node/messages`,
  sendApi({
    provider: "facebook",
    maxText: 2000,
    textLength: (text) => text.length,
    requireMessagingType: true,
    failures: {
      rateLimit: () =>
        graphError(
          400,
          { message: "(#613) Calls to this api have exceeded the rate limit.", code: 613 },
          usageHeader("messenger"),
        ),
      rejection: () => invalidParam("No matching user found", { error_subcode: 2018001 }),
    },
    newMessageId: () => `m_${randomToken(48)}`,
  }),
);

// The Pages a user token manages, and the Pages' insights and posts.
facebook.route("/", pages);
facebook.route("/", insights);

// Lead Ads leads (`GET /{leadgen-id}`): answers derived from the id, so a lead always reads
// the same. A lead id ending in 0503 fails its first read with a transient 503.
const leadReads = new Map<string, number>();
facebook.get(`/${VERSION}/:node{[0-9]+}`, (c) => {
  const id = c.req.param("node");
  const denied = rejectAuth(c, id);
  if (denied) return denied;
  const page = pageOf(id);
  if (page) return Response.json(pick(c, { id: page.id, name: page.name }));
  const reads = (leadReads.get(id) ?? 0) + 1;
  leadReads.set(id, reads);
  if (id.endsWith("0503") && reads === 1)
    return graphError(503, {
      message: "An unexpected error has occurred. Please retry your request later.",
      code: 2,
      is_transient: true,
    });
  const tail = id.slice(-4);
  return Response.json(
    pick(c, {
      id,
      created_time: new Date().toISOString().replace(/\.\d+Z$/, "+0000"),
      form_id: "200000000000001",
      ad_id: "300000000000001",
      field_data: [
        { name: "full_name", values: [`Sandbox Lead ${tail}`] },
        { name: "email", values: [`lead-${id}@example.com`] },
        { name: "phone_number", values: [`+1555010${tail}`] },
        { name: "company_name", values: ["Sandbox Co"] },
      ],
    }),
  );
});

unknownPaths(facebook, "facebook");
