/** Google's error bodies (`{error: {code, message, errors: [{message, domain, reason}], status}}`) and its Bearer check. */
import { bearerToken, validBearer } from "../other.ts";

const SEE = "See https://developers.google.com/identity/sign-in/web/devconsole-project.";
const EXPECTED = "Expected OAuth 2 access token, login cookie or other valid authentication credential.";

export const googleError = (
  code: number,
  status: string,
  message: string,
  reason: string,
  detail = message,
  domain = "global",
) =>
  Response.json(
    {
      error: {
        code,
        message,
        errors: [
          {
            message: detail,
            domain,
            reason,
            ...(code === 401 ? { location: "Authorization", locationType: "header" } : {}),
          },
        ],
        status,
      },
    },
    {
      status: code,
      ...(code === 401
        ? { headers: { "www-authenticate": 'Bearer realm="https://accounts.google.com/"' } }
        : {}),
    },
  );

/** The auth failure for this request, or null when the Bearer token is usable. */
export function authFailure(header: string | undefined): Response | null {
  if (!bearerToken(header)) {
    return googleError(
      401,
      "UNAUTHENTICATED",
      `Request is missing required authentication credential. ${EXPECTED} ${SEE}`,
      "required",
      "Login Required.",
    );
  }
  if (!validBearer(header)) {
    return googleError(
      401,
      "UNAUTHENTICATED",
      `Request had invalid authentication credentials. ${EXPECTED} ${SEE}`,
      "authError",
      "Invalid Credentials",
    );
  }
  return null;
}

export const badRequest = (message: string, reason = "invalid") =>
  googleError(400, "INVALID_ARGUMENT", message, reason);
