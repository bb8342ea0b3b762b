/**
 * Vitest global setup (runs in Node, not in workerd): real SMTP servers on 127.0.0.1 for the
 * SMTP provider's tests, built on nodemailer's `smtp-server`.
 *
 * - `plain`: no TLS, STARTTLS not offered, AUTH PLAIN and LOGIN in the clear (a local relay);
 * - `login`: like `plain` but offers AUTH LOGIN only;
 * - `starttls`: offers STARTTLS and AUTH only after it (port 587 style);
 * - `tls`: TLS from the first byte (port 465 style).
 *
 * Any username is accepted with any password that does not contain "invalid" (535 5.7.8).
 * A recipient whose local part starts with "reject" is refused with 550, "busy" with 451.
 * The TLS servers use a certificate for 127.0.0.1/localhost signed by the throwaway test CA of
 * scripts/test-tls.ts (in .wrangler/test-tls/, made with the `openssl` CLI when missing or
 * invalid; nothing committed); without openssl, smtp-server's built-in test certificate.
 * workerd trusts the CA only when vitest was started with NODE_EXTRA_CA_CERTS pointing at it, as
 * `npm test` does; `tlsTrusted` tells the tests which case this is (see
 * test/providers/smtp.test.ts). Started that way with a CA that is not there yet, the setup fails
 * rather than have the TLS tests quietly check the refusal instead.
 *
 * The tests get the ports through `inject("smtp")` and read what the servers saw over HTTP on
 * 127.0.0.1: `GET /messages` (accepted messages, raw as received, after dot-unstuffing) and
 * `GET /transcripts` (each session's commands and replies, credentials redacted by smtp-server)
 * and `GET /errors` (connection errors the servers saw, such as a failed TLS handshake).
 * Tests wait for the event rather than sleep: `GET /transcripts?settled=<server>` answers once
 * every session of that server is closed (so its last reply is logged), and
 * `GET /errors?after=<n>` once there are more than n errors. A wait that is never met answers
 * anyway after WAIT_CAP_MS, so a broken test fails on its assertions instead of hanging.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { resolve } from "node:path";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import type { TestProject } from "vitest/node";
import { CA_CERT, ensureTestTls } from "../scripts/test-tls.ts";

export interface SmtpTestServers {
  plain: number;
  login: number;
  starttls: number;
  tls: number;
  /** The HTTP side channel (GET /messages, GET /transcripts). */
  http: number;
  /**
   * Whether workerd trusts the TLS servers' certificate: vitest was started with
   * NODE_EXTRA_CA_CERTS pointing at the test CA, which was already there then (miniflare reads
   * the file when first imported, before this setup runs).
   */
  tlsTrusted: boolean;
}

declare module "vitest" {
  export interface ProvidedContext {
    smtp: SmtpTestServers;
  }
}

type ServerName = Exclude<keyof SmtpTestServers, "http" | "tlsTrusted">;

export interface ReceivedMessage {
  server: ServerName;
  user: string | null;
  secure: boolean;
  envelope: { mailFrom: string | null; rcptTo: string[] };
  raw: string;
}

export interface Transcript {
  server: ServerName;
  session: string;
  /** "C: EHLO example.com", "S: 250-...", in order. */
  lines: string[];
  /** The connection is closed: nothing more is logged for it. */
  closed: boolean;
}

export interface ServerError {
  server: ServerName;
  code?: string;
  message: string;
}

const messages: ReceivedMessage[] = [];
const errors: ServerError[] = [];
const transcripts = new Map<string, Transcript>();

/** Side-channel requests waiting for a condition, checked again whenever the servers log. */
const WAIT_CAP_MS = 10_000;
const waiting = new Set<() => boolean>();
function changed() {
  for (const check of waiting) if (check()) waiting.delete(check);
}
/** Resolves when `ready()` holds (checked now and on every change), or after WAIT_CAP_MS. */
function until(ready: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const cap = setTimeout(() => {
      waiting.delete(check);
      resolve();
    }, WAIT_CAP_MS);
    const check = () => {
      if (!ready()) return false;
      clearTimeout(cap);
      resolve();
      return true;
    };
    if (!check()) waiting.add(check);
  });
}

/** A bunyan-style logger that keeps smtp-server's per-session command/reply log. */
function transcriptLogger(server: ServerName) {
  const record = (meta: unknown, label: unknown, ...args: unknown[]) => {
    const m = (meta ?? {}) as { tnx?: string; cid?: string };
    if (!m.cid || (m.tnx !== "command" && m.tnx !== "send")) return;
    const key = `${server}:${m.cid}`;
    const t = transcripts.get(key) ?? { server, session: m.cid, lines: [], closed: false };
    transcripts.set(key, t);
    t.lines.push(`${String(label)} ${args.map(String).join(" ")}`.trim());
    changed();
  };
  const ignore = () => {};
  return { debug: record, info: ignore, warn: ignore, error: ignore, trace: ignore, fatal: ignore };
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function serverOptions(name: ServerName, tls: { key?: Buffer; cert?: Buffer }): SMTPServerOptions {
  return {
    name: "smtp.sandbox.test",
    banner: `Switchboard test SMTP (${name})`,
    logger: transcriptLogger(name) as SMTPServerOptions["logger"],
    disableReverseLookup: true,
    // Like Postfix and most submission servers: "535 5.7.8 ...".
    hideENHANCEDSTATUSCODES: false,
    authMethods: name === "login" ? ["LOGIN"] : ["PLAIN", "LOGIN"],
    ...(name === "plain" || name === "login"
      ? { disabledCommands: ["STARTTLS"], allowInsecureAuth: true }
      : { ...tls, secure: name === "tls" }),
    onClose(session) {
      const t = transcripts.get(`${name}:${session.id}`);
      if (t) t.closed = true;
      changed();
    },
    onAuth(auth, _session, callback) {
      if (!auth.username || !auth.password || auth.password.includes("invalid")) {
        callback(smtpError(535, "Error: authentication failed: Invalid username or password"));
        return;
      }
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      const local = address.address.split("@")[0] ?? "";
      if (local.startsWith("reject"))
        callback(smtpError(550, `Error: ${address.address}: Recipient unknown`));
      else if (local.startsWith("busy")) callback(smtpError(451, "Error: try again later"));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const { mailFrom, rcptTo } = session.envelope;
        messages.push({
          server: name,
          user: typeof session.user === "string" ? session.user : null,
          secure: session.secure,
          envelope: { mailFrom: mailFrom ? mailFrom.address : null, rcptTo: rcptTo.map((r) => r.address) },
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback(null, "Ok: queued");
      });
    },
  };
}

/**
 * The CA-signed server certificate of scripts/test-tls.ts (made now if missing or invalid), and
 * whether workerd trusts its CA; no certificate (smtp-server's built-in one) without openssl.
 */
async function serverCertificate(): Promise<{ tls: { key?: Buffer; cert?: Buffer }; trusted: boolean }> {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  const pointsAtCa = extra !== undefined && resolve(extra) === CA_CERT;
  const made = await ensureTestTls().catch((e: unknown) => {
    if (pointsAtCa) throw e;
    console.warn(`[smtp-server] no test certificate, using smtp-server's built-in one: ${String(e)}`);
    return undefined;
  });
  if (!made) return { tls: {}, trusted: false };
  if (pointsAtCa && made.caCreated) {
    throw new Error(
      `NODE_EXTRA_CA_CERTS points at ${CA_CERT}, which was missing or invalid when vitest started ` +
        "(it is now made): run `node scripts/test-tls.ts` before vitest, as `npm test` does",
    );
  }
  return { tls: { key: made.key, cert: made.cert }, trusted: pointsAtCa };
}

/** Starts `server` with `start` (on 127.0.0.1, a free port) and resolves with its port. */
function portOf(server: NetServer, start: (ready: () => void) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    start(() => resolve((server.address() as AddressInfo).port));
  });
}

function sideChannel(): Server {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://side.channel");
    const settled = url.searchParams.get("settled");
    if (settled !== null) {
      await until(() => [...transcripts.values()].every((t) => t.server !== settled || t.closed));
    }
    const after = url.searchParams.get("after");
    if (after !== null) await until(() => errors.length > Number(after));
    const body =
      url.pathname === "/messages"
        ? { messages }
        : url.pathname === "/transcripts"
          ? { transcripts: [...transcripts.values()] }
          : url.pathname === "/errors"
            ? { errors }
            : undefined;
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? { error: "not found" }));
  });
}

export default async function setup(project: TestProject) {
  const { tls, trusted } = await serverCertificate();
  const names: ServerName[] = ["plain", "login", "starttls", "tls"];
  const servers = names.map((name) => {
    const server = new SMTPServer(serverOptions(name, tls));
    // A client that gives up (a failed TLS handshake, a dropped socket) is an event, not a crash.
    server.on("error", (e: Error & { code?: string }) => {
      errors.push({ server: name, message: e.message, ...(e.code ? { code: e.code } : {}) });
      changed();
    });
    return server;
  });
  const http = sideChannel();
  const ports = await Promise.all(
    servers.map((s) => portOf(s.server, (ready) => s.listen(0, "127.0.0.1", ready))),
  );
  const httpPort = await portOf(http, (ready) => http.listen(0, "127.0.0.1", ready));
  project.provide("smtp", {
    plain: ports[0] as number,
    login: ports[1] as number,
    starttls: ports[2] as number,
    tls: ports[3] as number,
    http: httpPort,
    tlsTrusted: trusted,
  });
  return async () => {
    http.closeAllConnections();
    await Promise.all([
      ...servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      new Promise<void>((resolve) => http.close(() => resolve())),
    ]);
  };
}
