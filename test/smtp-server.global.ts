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
 * The TLS servers use a self-signed certificate for 127.0.0.1/localhost made with the
 * `openssl` CLI at start (nothing committed); without openssl, smtp-server's built-in test
 * certificate. workerd does not trust either (see test/providers/smtp.test.ts).
 *
 * The tests get the ports through `inject("smtp")` and read what the servers saw over HTTP on
 * 127.0.0.1: `GET /messages` (accepted messages, raw as received, after dot-unstuffing) and
 * `GET /transcripts` (each session's commands and replies, credentials redacted by smtp-server)
 * and `GET /errors` (connection errors the servers saw, such as a failed TLS handshake).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import type { TestProject } from "vitest/node";

export interface SmtpTestServers {
  plain: number;
  login: number;
  starttls: number;
  tls: number;
  /** The HTTP side channel (GET /messages, GET /transcripts). */
  http: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    smtp: SmtpTestServers;
  }
}

type ServerName = Exclude<keyof SmtpTestServers, "http">;

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
}

export interface ServerError {
  server: ServerName;
  code?: string;
  message: string;
}

const messages: ReceivedMessage[] = [];
const errors: ServerError[] = [];
const transcripts = new Map<string, Transcript>();

/** A bunyan-style logger that keeps smtp-server's per-session command/reply log. */
function transcriptLogger(server: ServerName) {
  const record = (meta: unknown, label: unknown, ...args: unknown[]) => {
    const m = (meta ?? {}) as { tnx?: string; cid?: string };
    if (!m.cid || (m.tnx !== "command" && m.tnx !== "send")) return;
    const key = `${server}:${m.cid}`;
    const t = transcripts.get(key) ?? { server, session: m.cid, lines: [] };
    transcripts.set(key, t);
    t.lines.push(`${String(label)} ${args.map(String).join(" ")}`.trim());
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

/** A self-signed certificate for 127.0.0.1 and localhost, valid for a day; undefined without openssl. */
async function selfSignedCertificate(): Promise<{ key: Buffer; cert: Buffer } | undefined> {
  const dir = await mkdtemp(join(tmpdir(), "smtp-test-cert-"));
  try {
    const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
    await promisify(execFile)(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
        ...["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
        // A server (not CA) certificate, so a client's only objection can be that nobody signed it.
        ...[
          "-addext",
          "subjectAltName=IP:127.0.0.1,DNS:localhost",
          "-addext",
          "basicConstraints=critical,CA:FALSE",
        ],
        ...["-addext", "keyUsage=critical,digitalSignature", "-addext", "extendedKeyUsage=serverAuth"],
      ],
      { timeout: 20_000 },
    );
    return { key: await readFile(key), cert: await readFile(cert) };
  } catch {
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Starts `server` with `start` (on 127.0.0.1, a free port) and resolves with its port. */
function portOf(server: NetServer, start: (ready: () => void) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    start(() => resolve((server.address() as AddressInfo).port));
  });
}

function sideChannel(): Server {
  return createServer((req, res) => {
    const body =
      req.url === "/messages"
        ? { messages }
        : req.url === "/transcripts"
          ? { transcripts: [...transcripts.values()] }
          : req.url === "/errors"
            ? { errors }
            : undefined;
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? { error: "not found" }));
  });
}

export default async function setup(project: TestProject) {
  const tls = (await selfSignedCertificate()) ?? {};
  const names: ServerName[] = ["plain", "login", "starttls", "tls"];
  const servers = names.map((name) => {
    const server = new SMTPServer(serverOptions(name, tls));
    // A client that gives up (a failed TLS handshake, a dropped socket) is an event, not a crash.
    server.on("error", (e: Error & { code?: string }) =>
      errors.push({ server: name, message: e.message, ...(e.code ? { code: e.code } : {}) }),
    );
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
  });
  return async () => {
    http.closeAllConnections();
    await Promise.all([
      ...servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      new Promise<void>((resolve) => http.close(() => resolve())),
    ]);
  };
}
