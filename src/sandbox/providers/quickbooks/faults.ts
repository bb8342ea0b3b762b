/**
 * QuickBooks Online's error answers, as the simulator sends them: the gateway's auth faults
 * (XML unless the request accepts JSON), validation and system faults, and the 429
 * ThrottleExceeded fault with Retry-After.
 */
import type { Context } from "hono";

export const wantsJson = (c: Context) => (c.req.header("accept") ?? "").includes("application/json");

export const xml = (status: number, inner: string) =>
  new Response(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="${new Date().toISOString()}">${inner}</IntuitResponse>`,
    { status, headers: { "content-type": "application/xml" } },
  );

/** An authentication (401) or authorization (403) fault, as Intuit's gateway sends it. */
export function authFault(c: Context, status: 401 | 403) {
  const [name, code, type] =
    status === 401
      ? ["AuthenticationFailed", "3200", "AUTHENTICATION"]
      : ["AuthorizationFailed", "3100", "SERVICE"];
  const message = `message=${name}; errorCode=00${code}; statusCode=${status}`;
  if (!wantsJson(c)) {
    return xml(
      status,
      `<Fault type="${type}"><Error code="${code}"><Message>${message}</Message></Error></Fault>`,
    );
  }
  return c.json(
    {
      warnings: null,
      intuitObject: null,
      fault: { error: [{ message, detail: null, code, element: null }], type },
      report: null,
      queryResponse: null,
      batchItemResponse: [],
      attachableResponse: [],
      syncErrorResponse: null,
      requestId: null,
      time: Date.now(),
      status: null,
      cdcresponse: [],
    },
    status,
  );
}

/** A validation fault (400), e.g. 610 Object Not Found. */
export function validationFault(c: Context, code: string, message: string, detail: string) {
  if (!wantsJson(c)) {
    return xml(
      400,
      `<Fault type="ValidationFault"><Error code="${code}" element=""><Message>${message}</Message><Detail>${detail}</Detail></Error></Fault>`,
    );
  }
  return c.json(
    {
      Fault: { Error: [{ Message: message, Detail: detail, code, element: "" }], type: "ValidationFault" },
      time: new Date().toISOString(),
    },
    400,
  );
}

export const iso = (ms: number) => new Date(ms).toISOString();

export function fault(status: number, code: string, message: string, detail: string, type: string) {
  return Response.json(
    {
      Fault: { Error: [{ Message: message, Detail: detail, code, element: "" }], type },
      time: iso(Date.now()),
    },
    { status },
  );
}

export const throttled = (retryAfter: number) =>
  Response.json(
    {
      Fault: {
        Error: [
          {
            Message: "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            Detail: "The request limit was reached. Try again later.",
            code: "003001",
          },
        ],
        type: "SERVICE",
      },
      time: iso(Date.now()),
    },
    { status: 429, headers: { "retry-after": String(retryAfter) } },
  );

/** An armed `_faults` status as Intuit answers it. */
export function armedFault(c: Context, status: number, retryAfter: number): Response {
  if (status === 429) return throttled(retryAfter);
  if (status === 401 || status === 403) return authFault(c, status);
  if (status >= 500)
    return fault(
      status,
      "10000",
      "An application error has occurred while processing your request",
      "System Failure Error: An unexpected error occurred while accessing or saving your data. Please wait a few minutes and try again.",
      "SystemFault",
    );
  return fault(
    status,
    "2010",
    "Request has invalid or unsupported property",
    "Property Name:Can not construct instance of ... specified is unsupported or invalid",
    "ValidationFault",
  );
}

export const parserError = (detail: string) =>
  fault(400, "4000", "Error parsing query", `QueryParserError: ${detail}`, "ValidationFault");

export const notFound = () =>
  fault(
    400,
    "610",
    "Object Not Found",
    "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.",
    "ValidationFault",
  );

export const missing = (name: string) =>
  fault(
    400,
    "2020",
    "Required param missing, need to supply the required value for the API",
    `Required parameter ${name} is missing in the request`,
    "ValidationFault",
  );
