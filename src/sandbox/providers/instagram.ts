/**
 * Simulated Instagram API with Instagram Login (graph.instagram.com): `GET /{version}/me` and the
 * Send API `POST /{version}/{me|ig-id}/messages`, with Graph's token checks and error bodies
 * (shared with the Facebook simulator).
 */
import { simulator } from "../lib.ts";
import {
  graphError,
  invalidParam,
  pick,
  randomToken,
  rejectAuth,
  sendApi,
  unknownPaths,
  usageHeader,
  VERSION,
} from "./facebook.ts";

export const instagram = simulator();

// The professional account an Instagram user token stands for.
const ACCOUNT = { user_id: "17841400000000001", username: "sandbox_shop", id: "9000000000000001" };

instagram.get(`/${VERSION}/me`, (c) => rejectAuth(c, "me") ?? Response.json(pick(c, ACCOUNT)));

instagram.post(
  `/${VERSION}/:node/messages`,
  sendApi({
    provider: "instagram",
    // Instagram limits text to 1,000 bytes of UTF-8.
    maxText: 1000,
    textLength: (text) => new TextEncoder().encode(text).length,
    requireMessagingType: false,
    failures: {
      rateLimit: () =>
        graphError(
          400,
          { message: "(#613) Calls to this api have exceeded the rate limit.", code: 613 },
          usageHeader("instagram"),
        ),
      rejection: () => invalidParam("No matching user found", { error_subcode: 2534014 }),
    },
    // Instagram message ids are base64 strings starting "aWdf" ("ig_").
    newMessageId: () => `aWdfZAG1f${randomToken(48)}`,
  }),
);

unknownPaths(instagram, "instagram");
