/**
 * The SMTP wire protocol over a Workers TCP socket (opened by the hub's guarded socket opener,
 * src/lib/outbound.ts): reading (multi-line) replies, sending commands, upgrading with
 * STARTTLS, and turning replies and socket failures into ProviderErrors. Knows nothing about
 * integrations or messages.
 */
import type { SocketOpener } from "../../lib/outbound.ts";
import { ProviderError, type ProviderErrorKind } from "../runtime.ts";

export type Security = "none" | "starttls" | "tls";

/** One SMTP reply: the 3-digit code and its text lines (without the code and separator). */
export interface Reply {
  code: number;
  lines: string[];
}

/** The reply as the server wrote it, on one line: "535 5.7.8 Error: authentication failed". */
export const replyText = (r: Reply): string => `${r.code} ${r.lines.join(" ").trim()}`.trim();

/**
 * The error kind for a negative reply: 530 (authentication required) and 535 (credentials
 * invalid) refuse the credentials; every 4yz reply (421, 450, 451, 452, ...) is transient by
 * RFC 5321 §4.2.1; any other reply where another was expected is permanent.
 */
export function kindForReply(code: number): ProviderErrorKind {
  if (code === 530 || code === 535) return "auth";
  if (code >= 400 && code < 500) return "transient";
  return "permanent";
}

/** A ProviderError for a reply that was not the expected one, naming the step. */
export function replyError(step: string, reply: Reply): ProviderError {
  return new ProviderError(kindForReply(reply.code), `SMTP ${step} refused: ${replyText(reply)}`, {
    code: reply.code,
  });
}

const encoder = new TextEncoder();

/**
 * An SMTP session on one socket. Every read waits at most `timeoutMs`; a timeout, a closed
 * connection or a socket error is a transient ProviderError (and closes the socket).
 */
export class SmtpSession {
  private socket: Socket;
  private reader: ReadableStreamDefaultReader<Uint8Array>;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private decoder = new TextDecoder();
  private buffer = "";
  /** A TLS handshake was started and no reply has come through it yet. */
  private tlsPending = false;

  private constructor(
    private readonly where: string,
    private readonly host: string,
    private readonly timeoutMs: number,
    socket: Socket,
  ) {
    this.socket = socket;
    this.reader = socket.readable.getReader();
    this.writer = socket.writable.getWriter();
    quiet(socket);
  }

  /**
   * Connects (TLS from the start with "tls"; upgradable later with "starttls") and waits until
   * the connection is open, which with "tls" includes the TLS handshake. A destination the
   * opener refuses is a permanent error naming why.
   */
  static async open(
    connect: SocketOpener,
    host: string,
    port: number,
    security: Security,
    timeoutMs: number,
  ): Promise<SmtpSession> {
    const secureTransport = security === "tls" ? "on" : security === "starttls" ? "starttls" : "off";
    let socket: Socket;
    try {
      socket = connect({ hostname: host, port }, { secureTransport, allowHalfOpen: false });
    } catch (e) {
      throw new ProviderError("permanent", `SMTP cannot connect to ${host}:${port}: ${reason(e)}`);
    }
    const session = new SmtpSession(`${host}:${port}`, host, timeoutMs, socket);
    session.tlsPending = security === "tls";
    try {
      await session.withTimeout(socket.opened, "connect");
    } catch (e) {
      throw session.failure(e, "connect");
    }
    return session;
  }

  /** Reads one complete reply ("250-a", "250-b", "250 c" → code 250, lines [a, b, c]). */
  async read(step: string): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine(step);
      const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!m) throw this.fail("permanent", `${step}: the server sent something that is not an SMTP reply`);
      lines.push(m[3] ?? "");
      this.tlsPending = false;
      if (m[2] !== "-") return { code: Number(m[1]), lines };
    }
  }

  /** Writes raw protocol text (a command line, or the DATA content). */
  async write(text: string, step: string): Promise<void> {
    try {
      await this.withTimeout(this.writer.write(encoder.encode(text)), step);
    } catch (e) {
      throw this.failure(e, step);
    }
  }

  /** Sends a command and reads its reply; a reply other than `expect` is an error. */
  async command(line: string, expect: number[], step = line.split(" ")[0] ?? line): Promise<Reply> {
    await this.write(`${line}\r\n`, step);
    const reply = await this.read(step);
    if (!expect.includes(reply.code)) throw replyError(step, reply);
    return reply;
  }

  /** After the server's 220 to STARTTLS: continues the session over TLS on the same connection. */
  upgrade(): void {
    this.reader.releaseLock();
    this.writer.releaseLock();
    this.tlsPending = true;
    try {
      // The certificate is checked against the host given to connect(); workerd logs
      // "unsupported expectedServerHostname option" when that option is passed.
      this.socket = this.socket.startTls();
    } catch (e) {
      throw this.failure(e, "STARTTLS");
    }
    this.reader = this.socket.readable.getReader();
    this.writer = this.socket.writable.getWriter();
    this.buffer = "";
    quiet(this.socket);
  }

  /** Says QUIT (best effort: the message is already accepted) and closes the socket. */
  async quit(): Promise<void> {
    try {
      await this.command("QUIT", [221]);
    } catch {
      // The transaction is done; a server that hangs up without a 221 changes nothing.
    }
    await this.close();
  }

  async close(): Promise<void> {
    try {
      await this.socket.close();
    } catch {
      // already closed
    }
  }

  private async readLine(step: string): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf("\n");
      if (end >= 0) {
        const line = this.buffer.slice(0, end).replace(/\r$/, "");
        this.buffer = this.buffer.slice(end + 1);
        return line;
      }
      if (this.buffer.length > 64 * 1024)
        throw this.fail("permanent", `${step}: the server's reply is too long`);
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await this.withTimeout(this.reader.read(), step);
      } catch (e) {
        throw this.failure(e, step);
      }
      if (chunk.done) throw this.failure(new Error("the server closed the connection"), step);
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  private withTimeout<T>(p: Promise<T>, step: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ProviderError(
              "transient",
              `SMTP ${step}: no answer from ${this.where} within ${this.timeoutMs} ms (timeout)`,
            ),
          ),
        this.timeoutMs,
      );
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Connection refused, reset, TLS failures, timeouts: transient (and the socket is closed).
   * workerd does not say why a handshake failed ("internal error; reference = ..." after
   * STARTTLS, "proxy request failed, cannot connect to the specified address" for implicit
   * TLS), so a failure while a handshake is pending names the likely cause.
   */
  private failure(e: unknown, step: string): ProviderError {
    if (e instanceof ProviderError) {
      void this.close();
      return e;
    }
    const certificate = `a certificate that is not valid for ${this.host} or not issued by a trusted CA`;
    const what = !this.tlsPending
      ? `connection to ${this.where} failed`
      : step === "connect"
        ? `connecting to ${this.where} with TLS failed (refused, unreachable, or ${certificate})`
        : `the TLS handshake with ${this.where} failed (${certificate}?)`;
    return this.fail("transient", `${step}: ${what}: ${reason(e)}`);
  }

  private fail(kind: ProviderErrorKind, message: string): ProviderError {
    void this.close();
    return new ProviderError(kind, `SMTP ${message}`);
  }
}

/** Failures surface through reads and writes; the socket's own promises need no other handler. */
function quiet(socket: Socket): void {
  socket.opened.catch(() => {});
  socket.closed.catch(() => {});
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
