/**
 * SMTP against real SMTP servers on 127.0.0.1 (test/smtp-server.global.ts): test connection,
 * AUTH PLAIN and LOGIN, refused credentials, STARTTLS and implicit TLS negotiation, a full send
 * through the queue, a refused recipient, and how replies map to error kinds.
 *
 * TLS: workerd verifies server certificates against public CAs and NODE_EXTRA_CA_CERTS (read by
 * miniflare when vitest starts, before any global setup runs). The test servers' certificate for
 * 127.0.0.1 is signed by the throwaway CA of scripts/test-tls.ts, which `npm test` passes in
 * NODE_EXTRA_CA_CERTS: then (`tlsTrusted`) STARTTLS and implicit TLS are tested end to end,
 * test connection and a send through the queue. Started otherwise (`vitest run` alone), workerd
 * refuses the certificate ("invalid peer certificate: UnknownIssuer" in its log), and the TLS
 * tests instead check the negotiation up to the handshake and that nothing secret is sent when it
 * fails. Either way, the tests of the other case are reported as skipped, not dropped.
 */
import { describe, expect, inject, it } from "vitest";
import { createOutbound } from "../../src/lib/outbound.ts";
import { type ProviderContext, ProviderError } from "../../src/providers/runtime.ts";
import { send, test as testConnection } from "../../src/providers/smtp/client.ts";
import {
  buildMessage,
  dotStuff,
  encodeText,
  mailbox,
  quotedPrintable,
} from "../../src/providers/smtp/mime.ts";
import { call, newIntegration, newOrg, type TestOrg, waitForMessage } from "../harness.ts";
import type { ReceivedMessage, ServerError, Transcript } from "../smtp-server.global.ts";

const ports = inject("smtp");
/** Whether workerd trusts the test servers' certificate (see the top of this file). */
const trusted = ports.tlsTrusted;
const PASSWORD = "s3cret-Passw0rd";
/** What the client suspects when workerd fails a TLS handshake without saying why. */
const CERTIFICATE = "a certificate that is not valid for 127.0.0.1 or not issued by a trusted CA";

async function sideChannel<T>(path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${ports.http}${path}`);
  return (await res.json()) as T;
}
const received = async () => (await sideChannel<{ messages: ReceivedMessage[] }>("/messages")).messages;
const transcripts = async () =>
  (await sideChannel<{ transcripts: Transcript[] }>("/transcripts")).transcripts;
const serverErrors = async () => (await sideChannel<{ errors: ServerError[] }>("/errors")).errors;
/** The servers' errors once there are more than `count` (the side channel waits for them). */
const serverErrorsAfter = async (count: number) =>
  (await sideChannel<{ errors: ServerError[] }>(`/errors?after=${count}`)).errors;

/** The sessions `server` saw while `action` ran, once they are closed and fully logged. */
async function sessionsDuring(server: Transcript["server"], action: () => Promise<unknown>) {
  const before = new Set((await transcripts()).map((t) => t.session));
  await action();
  // smtp-server logs a command before it handles it: wait for the connections to close, by
  // then every reply is logged.
  const settled = (await sideChannel<{ transcripts: Transcript[] }>(`/transcripts?settled=${server}`))
    .transcripts;
  return settled.filter((t) => t.server === server && !before.has(t.session));
}

function smtpIntegration(org: TestOrg, settings: Record<string, unknown> = {}) {
  return newIntegration(org, {
    provider: "smtp",
    name: "Mail relay",
    host: "127.0.0.1",
    port: ports.plain,
    security: "none",
    username: "mailer@example.com",
    password: PASSWORD,
    from_email: "noreply@example.com",
    from_name: "Switchboard Tests",
    ...settings,
  });
}

const testIntegration = (org: TestOrg, id: string) =>
  call("POST", `/api/integrations/${id}/test`, { key: org.adminKey });

/** A provider context for calling the client directly. */
function context(config: Record<string, unknown>, secrets: Record<string, string> = { password: PASSWORD }) {
  return {
    baseUrl: "",
    config: {
      host: "127.0.0.1",
      port: ports.plain,
      security: "none",
      username: "mailer@example.com",
      from_email: "noreply@example.com",
      ...config,
    },
    secrets,
    http: () => Promise.reject(new Error("SMTP makes no HTTP calls")),
    // The hub's guarded opener, as this project's deployment has it (ALLOW_PRIVATE_URLS=true).
    connect: createOutbound({ allowPrivate: true }).connect,
    timeoutMs: 2_000,
  } satisfies ProviderContext;
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
}

/** Headers (unfolded, by lower-case name) and body of a raw RFC 5322 message. */
function parse(raw: string) {
  const split = raw.indexOf("\r\n\r\n");
  const headers = new Map<string, string>();
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]/g, " ")
    .split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(split + 4) };
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r\n/g, "");
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "=") {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

const decodeWords = (s: string) =>
  s
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/g, (_, b64: string) =>
      new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))),
    );

describe("smtp", () => {
  it("test connection: greeting, EHLO, AUTH PLAIN, QUIT", async () => {
    const org = await newOrg();
    const i = await smtpIntegration(org);
    let r!: Awaited<ReturnType<typeof call>>;
    const [session, ...others] = await sessionsDuring("plain", async () => {
      r = await testIntegration(org, i.id);
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, message: "Connected to 127.0.0.1 as mailer@example.com" });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(PASSWORD);
    expect(others).toEqual([]);
    expect(session?.lines.filter((l) => l.startsWith("C:"))).toEqual([
      "C: EHLO example.com",
      "C: AUTH PLAIN /* secured */",
      "C: QUIT",
    ]);
    expect(session?.lines).toContain("S: 235 2.7.0 Authentication successful");
  });

  it("uses AUTH LOGIN when the server offers only that", async () => {
    const org = await newOrg();
    const i = await smtpIntegration(org, { port: ports.login });
    let r!: Awaited<ReturnType<typeof call>>;
    const [session] = await sessionsDuring("login", async () => {
      r = await testIntegration(org, i.id);
    });
    expect(r.json).toMatchObject({ ok: true, message: "Connected to 127.0.0.1 as mailer@example.com" });
    expect(session?.lines.filter((l) => l.startsWith("C:"))).toEqual([
      "C: EHLO example.com",
      "C: AUTH LOGIN",
      "C: /* secured */",
      "C: /* secured */",
      "C: QUIT",
    ]);
  });

  it("a refused password (535) fails the test, marks the integration, and recovers", async () => {
    const org = await newOrg();
    const i = await smtpIntegration(org, { password: "invalid-password" });
    const r = await testIntegration(org, i.id);
    const reason =
      "SMTP AUTH PLAIN refused: 535 5.7.8 Error: authentication failed: Invalid username or password";
    expect(r.json).toMatchObject({ ok: false, message: reason, details: { kind: "auth" } });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain("invalid-password");
    await call("PATCH", `/api/integrations/${i.id}`, { key: org.adminKey, body: { password: PASSWORD } });
    const ok = await testIntegration(org, i.id);
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("starttls: a server that does not offer STARTTLS gets neither credentials nor mail", async () => {
    const org = await newOrg();
    const i = await smtpIntegration(org, { security: "starttls" });
    let r!: Awaited<ReturnType<typeof call>>;
    const [session] = await sessionsDuring("plain", async () => {
      r = await testIntegration(org, i.id);
    });
    expect(r.json).toMatchObject({
      ok: false,
      message: `127.0.0.1:${ports.plain} does not offer STARTTLS, so nothing was sent unencrypted; use security "tls" (port 465), or "none" only for a trusted relay`,
      details: { kind: "permanent" },
    });
    expect(r.json.integration.status).toBe("error");
    expect(session?.lines.filter((l) => l.startsWith("C:"))).toEqual(["C: EHLO example.com"]);
  });

  it.runIf(trusted)(
    "starttls: test connection upgrades after EHLO, then EHLO again, AUTH, QUIT",
    async () => {
      const org = await newOrg();
      const i = await smtpIntegration(org, { security: "starttls", port: ports.starttls });
      let r!: Awaited<ReturnType<typeof call>>;
      const [session, ...others] = await sessionsDuring("starttls", async () => {
        r = await testIntegration(org, i.id);
      });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ ok: true, message: "Connected to 127.0.0.1 as mailer@example.com" });
      expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
      expect(r.text).not.toContain(PASSWORD);
      expect(others).toEqual([]);
      expect(session?.lines.slice(0, 5)).toEqual([
        "S: 220 smtp.sandbox.test ESMTP Switchboard test SMTP (starttls)",
        "C: EHLO example.com",
        // Before TLS: STARTTLS and no AUTH.
        expect.stringMatching(/^S: 250-smtp\.sandbox\.test .*\r\n250 STARTTLS$/s),
        "C: STARTTLS",
        "S: 220 2.0.0 Ready to start TLS",
      ]);
      expect(session?.lines.filter((l) => l.startsWith("C:"))).toEqual([
        "C: EHLO example.com",
        "C: STARTTLS",
        "C: EHLO example.com",
        "C: AUTH PLAIN /* secured */",
        "C: QUIT",
      ]);
      // Over TLS: AUTH, and no STARTTLS any more.
      const secondEhlo = session?.lines.filter((l) => l.startsWith("S: 250-smtp.sandbox.test"))[1];
      expect(secondEhlo).toMatch(/\r\n250[- ]AUTH PLAIN LOGIN(\r\n|$)/);
      expect(secondEhlo).not.toContain("STARTTLS");
      expect(session?.lines).toContain("S: 235 2.7.0 Authentication successful");
    },
  );

  it.runIf(trusted)(
    "starttls: a send goes over the upgraded session and ends sent",
    {
      timeout: 20_000,
    },
    async () => {
      const org = await newOrg();
      await smtpIntegration(org, { security: "starttls", port: ports.starttls });
      const to = `starttls.${crypto.randomUUID().slice(0, 8)}@example.org`;
      let sent!: Awaited<ReturnType<typeof waitForMessage>>;
      const sessions = await sessionsDuring("starttls", async () => {
        const r = await call("POST", "/api/messages", {
          key: org.adminKey,
          body: { channel: "email", to, subject: "Over STARTTLS", text: "Hello over TLS" },
        });
        expect(r.status).toBe(202);
        sent = await waitForMessage(org, r.json.message.id);
      });
      expect(sent).toMatchObject({ status: "sent", provider_message_id: `<${sent.id}@example.com>` });
      const got = (await received()).filter((m) => m.envelope.rcptTo.includes(to));
      expect(got).toEqual([
        expect.objectContaining({
          server: "starttls",
          user: "mailer@example.com",
          secure: true,
          envelope: { mailFrom: "noreply@example.com", rcptTo: [to] },
        }),
      ]);
      expect(parse(got[0]?.raw ?? "").headers.get("message-id")).toBe(sent.provider_message_id);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]?.lines.filter((l) => l.startsWith("C:"))).toEqual([
        "C: EHLO example.com",
        "C: STARTTLS",
        "C: EHLO example.com",
        "C: AUTH PLAIN /* secured */",
        "C: MAIL FROM:<noreply@example.com>",
        `C: RCPT TO:<${to}>`,
        "C: DATA",
        "C: QUIT",
      ]);
    },
  );

  it.runIf(trusted)(
    "tls: connects with TLS from the start; test connection and a send",
    {
      timeout: 20_000,
    },
    async () => {
      const org = await newOrg();
      const i = await smtpIntegration(org, { security: "tls", port: ports.tls });
      let r!: Awaited<ReturnType<typeof call>>;
      const [session] = await sessionsDuring("tls", async () => {
        r = await testIntegration(org, i.id);
      });
      expect(r.json).toMatchObject({ ok: true, message: "Connected to 127.0.0.1 as mailer@example.com" });
      expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
      expect(r.text).not.toContain(PASSWORD);
      // Already encrypted: the server offers AUTH at once, and no STARTTLS.
      expect(session?.lines[0]).toBe("S: 220 smtp.sandbox.test ESMTP Switchboard test SMTP (tls)");
      expect(session?.lines[2]).toMatch(/\r\n250[- ]AUTH PLAIN LOGIN(\r\n|$)/);
      expect(session?.lines[2]).not.toContain("STARTTLS");
      expect(session?.lines.filter((l) => l.startsWith("C:"))).toEqual([
        "C: EHLO example.com",
        "C: AUTH PLAIN /* secured */",
        "C: QUIT",
      ]);

      const to = `tls.${crypto.randomUUID().slice(0, 8)}@example.org`;
      const sendResult = await call("POST", "/api/messages", {
        key: org.adminKey,
        body: { channel: "email", to, subject: "Over TLS", text: "Hello over TLS" },
      });
      expect(sendResult.status).toBe(202);
      const sent = await waitForMessage(org, sendResult.json.message.id);
      expect(sent).toMatchObject({ status: "sent", provider_message_id: `<${sent.id}@example.com>` });
      expect((await received()).filter((m) => m.envelope.rcptTo.includes(to))).toEqual([
        expect.objectContaining({
          server: "tls",
          user: "mailer@example.com",
          secure: true,
          envelope: { mailFrom: "noreply@example.com", rcptTo: [to] },
        }),
      ]);
    },
  );

  it.runIf(!trusted)(
    "starttls: upgrades after EHLO; a certificate workerd refuses ends the session before AUTH",
    async () => {
      const org = await newOrg();
      const i = await smtpIntegration(org, { security: "starttls", port: ports.starttls });
      let r!: Awaited<ReturnType<typeof call>>;
      const [session] = await sessionsDuring("starttls", async () => {
        r = await testIntegration(org, i.id);
      });
      expect(session?.lines).toEqual([
        "S: 220 smtp.sandbox.test ESMTP Switchboard test SMTP (starttls)",
        "C: EHLO example.com",
        expect.stringMatching(/^S: 250-smtp\.sandbox\.test .*\r\n250 STARTTLS$/s),
        "C: STARTTLS",
        "S: 220 2.0.0 Ready to start TLS",
      ]);
      expect(r.json).toMatchObject({ ok: false, details: { kind: "transient" } });
      const prefix = `SMTP EHLO: the TLS handshake with 127.0.0.1:${ports.starttls} failed (${CERTIFICATE}?): `;
      expect(r.json.message.slice(0, prefix.length)).toBe(prefix);
      expect(r.text).not.toContain(PASSWORD);
    },
  );

  it.runIf(!trusted)(
    "tls: connects with TLS from the start; the refused certificate fails the connection",
    async () => {
      const org = await newOrg();
      const i = await smtpIntegration(org, { security: "tls", port: ports.tls });
      const before = (await serverErrors()).length;
      const r = await testIntegration(org, i.id);
      expect(r.json).toMatchObject({ ok: false, details: { kind: "transient" } });
      const prefix = `SMTP connect: connecting to 127.0.0.1:${ports.tls} with TLS failed (refused, unreachable, or ${CERTIFICATE}): `;
      expect(r.json.message.slice(0, prefix.length)).toBe(prefix);
      // The server saw a client that hung up during the handshake, and no SMTP command.
      expect((await serverErrorsAfter(before)).slice(before)).toContainEqual({
        server: "tls",
        code: "SocketError",
        message: "Socket closed while initiating TLS",
      });
    },
  );

  it("sends: 202 queued, then sent with the Message-ID; the server got one MIME message", {
    timeout: 20_000,
  }, async () => {
    const org = await newOrg();
    await smtpIntegration(org, { reply_to: "support@example.com" });
    const to = `alice.${crypto.randomUUID().slice(0, 8)}@example.org`;
    const text = "Hello Alice,\n.this line starts with a dot\n.\nCafé à 5 € — see you!\n";
    const html = "<p>Hello <b>Alice</b></p>\n.dot\n<p>Café</p>";
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "email", to, subject: "Grüße from Switchboard", text, html },
    });
    expect(r.status).toBe(202);
    expect(r.json.message).toMatchObject({ status: "queued", channel: "email", provider: "smtp", to });
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent).toMatchObject({ status: "sent", provider_message_id: `<${sent.id}@example.com>` });

    const got = (await received()).filter((m) => m.envelope.rcptTo.includes(to));
    expect(got).toHaveLength(1);
    const [m] = got as [ReceivedMessage];
    expect(m).toMatchObject({
      server: "plain",
      user: "mailer@example.com",
      secure: false,
      envelope: { mailFrom: "noreply@example.com", rcptTo: [to] },
    });
    expect(m.raw).not.toMatch(/[^\r]\n/); // CRLF line endings only
    const { headers, body } = parse(m.raw);
    expect([...headers.keys()]).toEqual([
      "date",
      "from",
      "to",
      "reply-to",
      "subject",
      "message-id",
      "mime-version",
      "content-type",
    ]);
    expect(headers.get("date")).toMatch(
      /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/,
    );
    expect(headers.get("from")).toBe('"Switchboard Tests" <noreply@example.com>');
    expect(headers.get("to")).toBe(to);
    expect(headers.get("reply-to")).toBe("support@example.com");
    expect(headers.get("subject")).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    expect(decodeWords(headers.get("subject") ?? "")).toBe("Grüße from Switchboard");
    expect(headers.get("message-id")).toBe(sent.provider_message_id);
    expect(headers.get("mime-version")).toBe("1.0");
    const boundary = /^multipart\/alternative; boundary="([^"]+)"$/.exec(
      headers.get("content-type") ?? "",
    )?.[1];
    expect(boundary).toBeDefined();

    const parts = body.split(`--${boundary}`);
    expect(parts).toHaveLength(4);
    expect(parts[3]).toBe("--\r\n");
    const [plain, rich] = [
      parse(parts[1]?.replace(/^\r\n/, "") ?? ""),
      parse(parts[2]?.replace(/^\r\n/, "") ?? ""),
    ];
    expect(Object.fromEntries(plain.headers)).toEqual({
      "content-type": "text/plain; charset=utf-8",
      "content-transfer-encoding": "quoted-printable",
    });
    expect(Object.fromEntries(rich.headers)).toEqual({
      "content-type": "text/html; charset=utf-8",
      "content-transfer-encoding": "quoted-printable",
    });
    // Dot-stuffed on the wire and unstuffed by the server: the lines arrive as written (a lone
    // "." unstuffed would have ended the message there).
    expect(plain.body).toContain("\r\n.this line starts with a dot\r\n.\r\nCaf=C3=A9 =C3=A0 5 =E2=82=AC");
    expect(decodeQuotedPrintable(plain.body)).toBe(`${text.replace(/\n/g, "\r\n")}\r\n`);
    expect(decodeQuotedPrintable(rich.body)).toBe(`${html.replace(/\n/g, "\r\n")}\r\n`);
  });

  it("a recipient the server refuses (550) fails the message for good", { timeout: 20_000 }, async () => {
    const org = await newOrg();
    const i = await smtpIntegration(org);
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "email", to: "rejected@example.org", subject: "Hi", text: "Hello" },
    });
    const failed = await waitForMessage(org, r.json.message.id);
    expect(failed).toMatchObject({
      status: "failed",
      provider_message_id: null,
      last_error: "SMTP RCPT TO refused: 550 5.1.1 Error: rejected@example.org: Recipient unknown",
    });
    expect((await received()).some((m) => m.envelope.rcptTo.includes("rejected@example.org"))).toBe(false);
    // A refused recipient says nothing about the credentials.
    const view = await call("GET", `/api/integrations/${i.id}`, { key: org.adminKey });
    expect(view.json.integration).toMatchObject({ status: "active", error_count: 0 });
  });

  it("maps replies and connection failures to error kinds", async () => {
    const msg = { id: "msg_kinds", channel: "email", to: "busy@example.org", subject: "Hi", text: "Hello" };
    const busy = await failure(send(context({}), msg));
    expect(busy).toMatchObject({
      kind: "transient",
      message: "SMTP RCPT TO refused: 451 4.3.0 Error: try again later",
    });
    expect(busy.opts.code).toBe(451);

    const rejected = await failure(send(context({}), { ...msg, to: "reject-me@example.org" }));
    expect(rejected).toMatchObject({ kind: "permanent", opts: { code: 550 } });

    const badAuth = await failure(testConnection(context({}, { password: "invalid" })));
    expect(badAuth).toMatchObject({ kind: "auth", opts: { code: 535 } });

    const port25 = await failure(testConnection(context({ port: 25 })));
    expect(port25).toMatchObject({
      kind: "permanent",
      message: "Cloudflare Workers cannot connect to port 25; use 587 with STARTTLS or 465 with TLS",
    });

    // An HTTP server never greets: the wait for the 220 times out.
    const silent = await failure(testConnection({ ...context({ port: ports.http }), timeoutMs: 300 }));
    expect(silent).toMatchObject({
      kind: "transient",
      message: `SMTP greeting: no answer from 127.0.0.1:${ports.http} within 300 ms (timeout)`,
    });

    const noPassword = await failure(testConnection(context({}, {})));
    expect(noPassword).toMatchObject({
      kind: "permanent",
      message: "the integration has no password configured",
    });

    const header = await failure(
      send(context({}), { ...msg, to: "a@example.org>\r\nRCPT TO:<b@example.org" }),
    );
    expect(header.kind).toBe("permanent");
  });
});

describe("smtp mime", () => {
  it("quoted-printable: soft breaks within 76 characters, trailing space and '=' escaped", () => {
    const qp = quotedPrintable(`${"é".repeat(40)}\nend with space \nx=1`);
    const lines = qp.split("\r\n");
    expect(lines.every((l) => l.length <= 76)).toBe(true);
    expect(lines.slice(-2)).toEqual(["end with space=20", "x=3D1"]);
    expect(decodeQuotedPrintable(qp)).toBe(`${"é".repeat(40)}\r\nend with space \r\nx=1`);
  });

  it("encoded words: at most 75 characters each, never splitting a character", () => {
    const subject = "Grüße 👋 ".repeat(12).trim();
    const encoded = encodeText(subject);
    const words = encoded.split(" ");
    expect(words.every((w) => /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/.test(w) && w.length <= 75)).toBe(true);
    expect(decodeWords(encoded)).toBe(subject);
    expect(encodeText("Plain subject")).toBe("Plain subject");
    expect(mailbox("a@example.com", 'Say "hi"')).toBe('"Say \\"hi\\"" <a@example.com>');
    expect(mailbox("a@example.com", "Zoë")).toBe("=?UTF-8?B?Wm/Dqw==?= <a@example.com>");
  });

  it("one part without multipart; headers folded at 78; CR/LF cannot start a header", () => {
    const raw = buildMessage({
      from: "a@example.com",
      to: "b@example.org",
      subject: `${"word ".repeat(30)}\r\nBcc: evil@example.org`,
      html: "<p>hi</p>",
      messageId: "<m1@example.com>",
      date: new Date("2026-11-22T01:02:03Z"),
    });
    const { headers, body } = parse(raw);
    expect(headers.get("date")).toBe("Sun, 22 Nov 2026 01:02:03 +0000");
    expect(headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(headers.has("bcc")).toBe(false);
    expect(raw.split("\r\n").every((l) => l.length <= 78)).toBe(true);
    expect(body).toBe("<p>hi</p>\r\n");
    expect(dotStuff(".a\r\nb\r\n.\r\n")).toBe("..a\r\nb\r\n..\r\n.\r\n");
  });
});
