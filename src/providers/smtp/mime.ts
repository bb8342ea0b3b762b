/**
 * RFC 5322 / MIME messages for SMTP: headers (RFC 2047 encoded words for non-ASCII, folded at
 * 78 characters), quoted-printable UTF-8 bodies, multipart/alternative for text + html, CRLF
 * line endings, and the dot-stuffing of the DATA phase (RFC 5321 §4.5.2).
 */

export interface MimeMessage {
  from: string;
  fromName?: string;
  to: string;
  replyTo?: string;
  subject?: string;
  text?: string;
  html?: string;
  /** With its angle brackets: "<id@domain>". */
  messageId: string;
  date: Date;
  /** Multipart boundary; random when not given. */
  boundary?: string;
}

const encoder = new TextEncoder();
const hex = (b: number) => `=${b.toString(16).toUpperCase().padStart(2, "0")}`;

/** Whether the string is printable US-ASCII (plus space and tab) only. */
const isPlainAscii = (s: string) => /^[\x20-\x7e\t]*$/.test(s);

/** Removes CR and LF so a value cannot start another header. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ");

function base64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * RFC 2047 "B" encoded words for a non-ASCII header value, each at most 75 characters and
 * split between characters (never inside one), separated by spaces (which decoders drop).
 */
export function encodeWords(value: string): string {
  const words: string[] = [];
  let chunk = "";
  for (const ch of value) {
    // 45 bytes of UTF-8 → 60 base64 characters + 12 for "=?UTF-8?B?" and "?=" = 72.
    if (encoder.encode(chunk + ch).length > 45) {
      words.push(chunk);
      chunk = "";
    }
    chunk += ch;
  }
  if (chunk || !words.length) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${base64(encoder.encode(w))}?=`).join(" ");
}

/** An unstructured header value (Subject): as is when plain ASCII, encoded words otherwise. */
export function encodeText(value: string): string {
  const v = oneLine(value);
  return isPlainAscii(v) && !v.includes("=?") ? v : encodeWords(v);
}

/** A display name: a quoted string when ASCII, encoded words otherwise. */
function encodePhrase(name: string): string {
  const v = oneLine(name).trim();
  if (isPlainAscii(v) && !v.includes("=?")) return `"${v.replace(/(["\\])/g, "\\$1")}"`;
  return encodeWords(v);
}

/** "Name" <address>, or the bare address without a name. */
export function mailbox(address: string, name?: string): string {
  return name?.trim() ? `${encodePhrase(name)} <${address}>` : address;
}

/** "Name: value", folded at spaces so no line exceeds 78 characters where possible. */
export function header(name: string, value: string): string {
  const words = `${name}: ${value}`.split(" ");
  const lines: string[] = [];
  let line = words.shift() ?? "";
  for (const w of words) {
    if (line.length + 1 + w.length > 78 && line.trim()) {
      lines.push(line);
      line = ` ${w}`;
    } else line += ` ${w}`;
  }
  lines.push(line);
  return lines.join("\r\n");
}

/** RFC 5322 date-time: "Sun, 22 Nov 2026 02:54:23 +0000". */
export const rfc5322Date = (d: Date) => d.toUTCString().replace(/GMT$/, "+0000");

/**
 * Quoted-printable (RFC 2045 §6.7) of UTF-8 text: line breaks become CRLF; "=", controls and
 * non-ASCII bytes are escaped, as are a space or tab ending a line; lines are cut with soft
 * breaks to at most 76 characters. A leading "." stays as is: dot-stuffing takes care of it.
 */
export function quotedPrintable(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => {
      const bytes = encoder.encode(line);
      const out: string[] = [];
      let cur = "";
      bytes.forEach((b, i) => {
        const last = i === bytes.length - 1;
        const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
        const token = literal ? String.fromCharCode(b) : hex(b);
        if (cur.length + token.length > 75) {
          out.push(`${cur}=`);
          cur = "";
        }
        cur += token;
      });
      out.push(cur);
      return out.join("\r\n");
    })
    .join("\r\n");
}

function part(type: "plain" | "html", body: string): string[] {
  return [
    `Content-Type: text/${type}; charset=utf-8`,
    "Content-Transfer-Encoding: quoted-printable",
    "",
    quotedPrintable(body),
  ];
}

function randomBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `=_sb_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The whole message, CRLF line endings, not yet dot-stuffed. */
export function buildMessage(m: MimeMessage): string {
  const headers = [
    header("Date", rfc5322Date(m.date)),
    header("From", mailbox(m.from, m.fromName)),
    header("To", m.to),
    ...(m.replyTo ? [header("Reply-To", m.replyTo)] : []),
    ...(m.subject !== undefined ? [header("Subject", encodeText(m.subject))] : []),
    header("Message-ID", m.messageId),
    "MIME-Version: 1.0",
  ];
  let body: string[];
  if (m.text !== undefined && m.html !== undefined) {
    const b = m.boundary ?? randomBoundary();
    headers.push(header("Content-Type", `multipart/alternative; boundary="${b}"`));
    body = ["", `--${b}`, ...part("plain", m.text), `--${b}`, ...part("html", m.html), `--${b}--`];
  } else {
    const [type, content] =
      m.html !== undefined ? (["html", m.html] as const) : (["plain", m.text ?? ""] as const);
    body = part(type, content);
  }
  return `${[...headers, ...body].join("\r\n")}\r\n`;
}

/** The DATA payload: a "." opening any line doubled, then the lone "." that ends the message. */
export function dotStuff(message: string): string {
  const crlf = message.endsWith("\r\n") ? message : `${message}\r\n`;
  return `${crlf.replace(/^\./gm, "..")}.\r\n`;
}
