/**
 * Generic SMTP: the integration's host, port and security (none | starttls | tls) say where to
 * connect with a Workers TCP socket; there is no HTTP API, so `ctx.baseUrl` and `ctx.http` are
 * not used. Test connection: greeting, EHLO, STARTTLS, AUTH, QUIT. Send: the same session, then
 * MAIL FROM, RCPT TO and DATA with a MIME message whose Message-ID is the provider message id.
 *
 * Private addresses: the socket is opened by the context's guarded opener (src/lib/outbound.ts),
 * which refuses private hosts as written and, where the deployment binds a public-only network,
 * hosts that resolve to private addresses; without an opener nothing is connected to. Port 25
 * is refused here with a clear reason (Workers refuse it too).
 */
import {
  type OutboundMessage,
  type ProviderContext,
  ProviderError,
  type SendResult,
  secret,
  setting,
  type TestResult,
} from "../runtime.ts";
import { buildMessage, dotStuff } from "./mime.ts";
import { type Reply, replyError, type Security, SmtpSession } from "./protocol.ts";

interface SmtpSettings {
  host: string;
  port: number;
  security: Security;
  username?: string;
  password?: string;
  fromEmail: string;
  fromName?: string;
  replyTo?: string;
}

const HOST_RE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const IPV6_RE = /^\[[0-9a-f:.]+\]$/i;
/** An ASCII addr-spec without anything that could end the SMTP command or a header. */
const ADDRESS_RE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$|^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@\[[0-9A-Fa-f:.]+\]$/;

function optional(ctx: ProviderContext, name: string): string | undefined {
  const v = ctx.config[name];
  return typeof v === "string" && v.trim() ? v.trim() : undefined;
}

function address(value: string, what: string): string {
  if (!ADDRESS_RE.test(value)) {
    throw new ProviderError(
      "permanent",
      `the ${what} ${JSON.stringify(value)} is not an ASCII email address`,
    );
  }
  return value;
}

function settings(ctx: ProviderContext): SmtpSettings {
  const host = setting(ctx, "host").trim().toLowerCase().replace(/\.$/, "");
  if (!HOST_RE.test(host) && !IPV6_RE.test(host)) {
    throw new ProviderError(
      "permanent",
      `the SMTP host ${JSON.stringify(host)} is not a host name or IP address`,
    );
  }
  const security = (optional(ctx, "security") ?? "starttls") as Security;
  if (!["none", "starttls", "tls"].includes(security)) {
    throw new ProviderError(
      "permanent",
      `the security setting must be none, starttls or tls, not ${security}`,
    );
  }
  const port = Number(ctx.config.port ?? (security === "tls" ? 465 : 587));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ProviderError("permanent", `the SMTP port ${String(ctx.config.port)} is not a port number`);
  }
  if (port === 25) {
    throw new ProviderError(
      "permanent",
      "Cloudflare Workers cannot connect to port 25; use 587 with STARTTLS or 465 with TLS",
    );
  }
  const username = optional(ctx, "username");
  const replyTo = optional(ctx, "reply_to");
  return {
    host,
    port,
    security,
    ...(username ? { username, password: secret(ctx, "password") } : {}),
    fromEmail: address(setting(ctx, "from_email").trim(), "from address"),
    ...(optional(ctx, "from_name") ? { fromName: optional(ctx, "from_name") } : {}),
    ...(replyTo ? { replyTo: address(replyTo, "reply-to address") } : {}),
  };
}

const domainOf = (email: string) => email.slice(email.lastIndexOf("@") + 1);

/** EHLO's extensions by keyword: "AUTH" → "PLAIN LOGIN", "STARTTLS" → "". */
function extensions(reply: Reply): Map<string, string> {
  const ext = new Map<string, string>();
  for (const line of reply.lines.slice(1)) {
    const m = /^([A-Za-z0-9-]+)[ =]?(.*)$/.exec(line.trim());
    if (m?.[1]) ext.set(m[1].toUpperCase(), (m[2] ?? "").trim());
  }
  return ext;
}

/** EHLO, or HELO (no extensions) for a server that does not know EHLO. */
async function hello(session: SmtpSession, name: string): Promise<Map<string, string>> {
  await session.write(`EHLO ${name}\r\n`, "EHLO");
  const reply = await session.read("EHLO");
  if (reply.code === 250) return extensions(reply);
  if (reply.code !== 500 && reply.code !== 502) throw replyError("EHLO", reply);
  await session.command(`HELO ${name}`, [250], "HELO");
  return new Map();
}

function b64(s: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** AUTH PLAIN, or AUTH LOGIN when the server offers only that. Resolves with the mechanism. */
async function authenticate(
  session: SmtpSession,
  ext: Map<string, string>,
  s: SmtpSettings & { username: string; password: string },
): Promise<string> {
  const offered = ext.get("AUTH")?.toUpperCase().split(/\s+/).filter(Boolean);
  if (!offered) {
    throw new ProviderError(
      "permanent",
      `${s.host} does not offer AUTH on this connection${s.security === "none" ? " (it may require STARTTLS first)" : ""}`,
    );
  }
  if (offered.includes("PLAIN")) {
    await session.command(`AUTH PLAIN ${b64(`\0${s.username}\0${s.password}`)}`, [235], "AUTH PLAIN");
    return "PLAIN";
  }
  if (offered.includes("LOGIN")) {
    await session.command("AUTH LOGIN", [334], "AUTH LOGIN");
    await session.command(b64(s.username), [334], "AUTH LOGIN username");
    await session.command(b64(s.password), [235], "AUTH LOGIN");
    return "LOGIN";
  }
  throw new ProviderError(
    "permanent",
    `${s.host} offers neither AUTH PLAIN nor AUTH LOGIN (it offers ${offered.join(", ")})`,
  );
}

/** Greeting, EHLO, STARTTLS and EHLO again when configured, AUTH when a username is set. */
async function openSession(
  ctx: ProviderContext,
  s: SmtpSettings,
): Promise<{ session: SmtpSession; auth: string | null }> {
  if (!ctx.connect) throw new ProviderError("permanent", "SMTP is not available: no outbound socket opener");
  const session = await SmtpSession.open(ctx.connect, s.host, s.port, s.security, ctx.timeoutMs);
  try {
    const greeting = await session.read("greeting");
    if (greeting.code !== 220) throw replyError("greeting", greeting);
    const name = domainOf(s.fromEmail);
    let ext = await hello(session, name);
    if (s.security === "starttls") {
      if (!ext.has("STARTTLS")) {
        throw new ProviderError(
          "permanent",
          `${s.host}:${s.port} does not offer STARTTLS, so nothing was sent unencrypted; ` +
            `use security "tls" (port 465), or "none" only for a trusted relay`,
        );
      }
      await session.command("STARTTLS", [220]);
      session.upgrade();
      ext = await hello(session, name);
    }
    const auth = s.username
      ? await authenticate(session, ext, { ...s, username: s.username, password: s.password ?? "" })
      : null;
    return { session, auth };
  } catch (e) {
    await session.close();
    throw e;
  }
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const s = settings(ctx);
  const { session, auth } = await openSession(ctx, s);
  await session.quit();
  return {
    message: s.username
      ? `Connected to ${s.host} as ${s.username}`
      : `Connected to ${s.host} (no authentication)`,
    details: { port: s.port, security: s.security, auth },
  };
}

/** "<message id@from domain>", the id made of characters a msg-id may hold. */
function messageIdFor(msg: OutboundMessage, fromEmail: string): string {
  return `<${msg.id.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, "_")}@${domainOf(fromEmail)}>`;
}

export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const s = settings(ctx);
  const to = address(msg.to.trim(), "recipient");
  const messageId = messageIdFor(msg, s.fromEmail);
  const data = dotStuff(
    buildMessage({
      from: s.fromEmail,
      ...(s.fromName ? { fromName: s.fromName } : {}),
      to,
      ...(s.replyTo ? { replyTo: s.replyTo } : {}),
      ...(msg.subject !== undefined ? { subject: msg.subject } : {}),
      ...(msg.text ? { text: msg.text } : {}),
      ...(msg.html ? { html: msg.html } : {}),
      messageId,
      date: new Date(),
    }),
  );
  const { session } = await openSession(ctx, s);
  try {
    await session.command(`MAIL FROM:<${s.fromEmail}>`, [250], "MAIL FROM");
    await session.command(`RCPT TO:<${to}>`, [250, 251], "RCPT TO");
    await session.command("DATA", [354]);
    await session.write(data, "DATA");
    const accepted = await session.read("DATA");
    if (accepted.code !== 250) throw replyError("message", accepted);
  } catch (e) {
    await session.close();
    throw e;
  }
  await session.quit();
  return { providerMessageId: messageId };
}
