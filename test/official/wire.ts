/**
 * Captures one provider request two ways, for comparing the hub with an official SDK: the hub's
 * provider function called with a capturing HttpClient, and the SDK's own call intercepted by
 * nock (which sees Node's http/https and fetch) on the provider's host. Both come back in one
 * shape: method, path, query, the headers that matter and the body parsed by its content type,
 * so a spec can compare them field by field.
 */
import nock from "nock";
import type {
  OutboundMessage,
  ProviderContext,
  SendResult,
  TestResult,
} from "../../src/providers/runtime.ts";

export interface Wire {
  method: string;
  path: string;
  /** A repeated parameter: an array. */
  query: Record<string, string | string[]>;
  /** The auth scheme and credential (`Basic …`, `Bearer …`, or for SigV4 its scheme and scope). */
  authorization: string | undefined;
  /** The media type, without parameters. */
  contentType: string | undefined;
  /** JSON bodies parsed; form and multipart bodies as an object (a repeated field: an array). */
  body: unknown;
}

export interface Canned {
  status: number;
  /** Sent as JSON, unless `xml` is given. */
  body?: unknown;
  /** An XML answer (AWS Query APIs). */
  xml?: string;
  headers?: Record<string, string>;
}

/** The answer's body and headers. */
const answer = (c: Canned): [string, Record<string, string>] =>
  c.xml !== undefined
    ? [c.xml, { "content-type": "text/xml", ...c.headers }]
    : [JSON.stringify(c.body), { "content-type": "application/json", ...c.headers }];

function fields(entries: Iterable<[string, string]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of entries) {
    const had = out[k];
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return out;
}

/** The parts of a multipart/form-data body: each part's name and text. */
function multipart(text: string, boundary: string): [string, string][] {
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .flatMap((part): [string, string][] => {
      const [head = "", ...rest] = part.replace(/^\r\n/, "").split("\r\n\r\n");
      const name = /name="([^"]*)"/.exec(head)?.[1];
      return name === undefined ? [] : [[name, rest.join("\r\n\r\n").replace(/\r\n$/, "")]];
    });
}

/** A SigV4 Authorization reduced to what is stable: the scheme and the credential scope. */
function stableAuthorization(value: string | undefined): string | undefined {
  const sigv4 = value?.match(/^(AWS4-HMAC-SHA256) Credential=[^/]+\/\d{8}\/([^,]+),/);
  return sigv4 ? `${sigv4[1]} ${sigv4[2]}` : value;
}

/** The Wire of a request's parts. */
export function wireOf(method: string, url: string, headers: Headers, text: string): Wire {
  const u = new URL(url);
  const type = headers.get("content-type") ?? undefined;
  const media = type?.split(";")[0]?.trim().toLowerCase();
  let body: unknown = text || undefined;
  if (media === "application/json" || media?.endsWith("+json")) body = text ? JSON.parse(text) : undefined;
  else if (media === "application/x-www-form-urlencoded") body = fields(new URLSearchParams(text));
  else if (media === "multipart/form-data")
    body = fields(multipart(text, /boundary=([^;]+)/.exec(type ?? "")?.[1] ?? ""));
  return {
    method: method.toUpperCase(),
    path: u.pathname,
    query: fields(u.searchParams),
    authorization: stableAuthorization(headers.get("authorization") ?? undefined),
    contentType: media,
    body,
  };
}

/** What the hub sends for one provider call, answered with `canned`. */
export async function hubWire(
  call: (ctx: ProviderContext) => Promise<TestResult | SendResult>,
  ctx: Omit<ProviderContext, "http" | "timeoutMs">,
  canned: Canned,
): Promise<Wire> {
  let seen: Wire | undefined;
  await call({
    ...ctx,
    timeoutMs: 5000,
    http: async (req) => {
      seen = wireOf(req.method, req.url, req.headers, await req.text());
      const [body, headers] = answer(canned);
      return new Response(body, { status: canned.status, headers });
    },
  });
  if (!seen) throw new Error("the hub sent nothing");
  return seen;
}

/** What an SDK sends to `origin` while `run` runs, answered with `canned`. */
export async function sdkWire(origin: string, run: () => Promise<unknown>, canned: Canned): Promise<Wire> {
  const seen: Wire[] = [];
  const scope = nock(origin);
  for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
    // nock 15 hands a reply function the request as a fetch Request.
    scope.intercept(/.*/, method).reply(async (req: Request) => {
      seen.push(wireOf(req.method, req.url, req.headers, await req.text()));
      return [canned.status, ...answer(canned)];
    });
  }
  try {
    await run();
  } finally {
    nock.cleanAll();
  }
  if (seen.length !== 1) throw new Error(`the SDK sent ${seen.length} requests to ${origin}`);
  return seen[0] as Wire;
}

/** A message the hub sends, with our id. */
export const message = (m: Omit<OutboundMessage, "id">): OutboundMessage => ({ id: "msg_0123456789", ...m });
