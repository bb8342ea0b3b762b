/**
 * Message templates (/api/templates): a named subject, text and html for one channel with
 * `{{variables}}`. Each change that alters the content is a new version, kept; a send renders
 * the current version (or a named one) and records which it used. In `html` a value is
 * HTML-escaped; in `text` and `subject` it is written as given.
 */
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import {
  type MessageTemplateRow,
  type MessageTemplateVersionRow,
  messageTemplates,
  messageTemplateVersions,
} from "../../db/schema.ts";
import { ApiError, ErrorCode, notFound } from "../../errors.ts";
import { prefixedId } from "../../lib/ids.ts";
import { decodeCursor, pageOf } from "../../lib/pagination.ts";

/** `{{ name }}`: a variable, spaces inside the braces allowed; names as in JSON keys of a form. */
const VARIABLE_RE = /\{\{\s*([A-Za-z_][\w.-]{0,63})\s*\}\}/g;

export interface TemplateContent {
  subject?: string | null;
  text?: string | null;
  html?: string | null;
}

export interface TemplateInput extends TemplateContent {
  name: string;
  channel: string;
}

export type VariableValue = string | number | boolean;

/** The variables a template's content uses, each once, in the order they first appear. */
export function variablesOf(c: TemplateContent): string[] {
  const seen = new Set<string>();
  for (const part of [c.subject, c.text, c.html])
    for (const m of (part ?? "").matchAll(VARIABLE_RE)) seen.add(m[1] as string);
  return [...seen];
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

/**
 * `part` with every variable replaced: HTML-escaped in `html`, on one line in a `subject` (a
 * value's line breaks become spaces, so no value can add a header), as given in `text`.
 */
function fill(part: string, vars: Record<string, VariableValue>, as: "html" | "subject" | "text"): string {
  return part.replace(VARIABLE_RE, (_m, name: string) => {
    const v = String(vars[name]);
    return as === "html" ? escapeHtml(v) : as === "subject" ? v.replace(/[\r\n]+/g, " ") : v;
  });
}

const invalid = (path: string, message: string) =>
  new ApiError(ErrorCode.INVALID_FIELD, `${path}: ${message}`, { issues: [{ path, message }] });

/** A template's content filled in; every variable it uses must be given (400 naming the first). */
export function render(
  t: { name: string; version: number } & TemplateContent,
  vars: Record<string, VariableValue>,
): { subject?: string; text?: string; html?: string } {
  const missing = variablesOf(t).filter((v) => !Object.hasOwn(vars, v));
  if (missing.length) {
    const issues = missing.map((v) => ({
      path: `variables.${v}`,
      message: `missing: template "${t.name}" (version ${t.version}) uses {{${v}}}`,
    }));
    throw new ApiError(ErrorCode.INVALID_FIELD, `${issues[0]?.path}: ${issues[0]?.message}`, { issues });
  }
  return {
    ...(t.subject ? { subject: fill(t.subject, vars, "subject") } : {}),
    ...(t.text ? { text: fill(t.text, vars, "text") } : {}),
    ...(t.html ? { html: fill(t.html, vars, "html") } : {}),
  };
}

/** A template version as a send uses it. */
export interface TemplateVersion extends TemplateContent {
  id: string;
  name: string;
  channel: string;
  version: number;
}

export class Templates {
  constructor(private readonly db: Db) {}

  async create(orgId: string, input: TemplateInput): Promise<MessageTemplateRow> {
    requireContent(input);
    const id = prefixedId("tpl");
    const content = { subject: input.subject ?? null, text: input.text ?? null, html: input.html ?? null };
    try {
      const [rows] = await this.db.batch([
        this.db
          .insert(messageTemplates)
          .values({ id, orgId, name: input.name, channel: input.channel, version: 1, ...content })
          .returning(),
        this.db.insert(messageTemplateVersions).values({ templateId: id, orgId, version: 1, ...content }),
      ]);
      return rows[0] as MessageTemplateRow;
    } catch (e) {
      if (await this.named(orgId, input.name)) throw duplicate(input.name);
      throw e;
    }
  }

  async get(orgId: string, id: string): Promise<MessageTemplateRow> {
    const [row] = await this.db
      .select()
      .from(messageTemplates)
      .where(and(eq(messageTemplates.orgId, orgId), eq(messageTemplates.id, id)))
      .limit(1);
    if (!row) throw notFound("Template");
    return row;
  }

  private async named(orgId: string, name: string) {
    const [row] = await this.db
      .select({ id: messageTemplates.id })
      .from(messageTemplates)
      .where(and(eq(messageTemplates.orgId, orgId), eq(messageTemplates.name, name)))
      .limit(1);
    return row;
  }

  /** Version `version` of template `id` (the current one when absent). */
  async version(orgId: string, id: string, version?: number): Promise<TemplateVersion> {
    const t = await this.get(orgId, id);
    if (version === undefined || version === t.version) return t;
    const [v] = await this.db
      .select()
      .from(messageTemplateVersions)
      .where(
        and(
          eq(messageTemplateVersions.orgId, orgId),
          eq(messageTemplateVersions.templateId, id),
          eq(messageTemplateVersions.version, version),
        ),
      )
      .limit(1);
    if (!v) throw notFound("Template version");
    return { ...v, id, name: t.name, channel: t.channel };
  }

  /** The template's versions, newest first. */
  async versions(orgId: string, id: string): Promise<MessageTemplateVersionRow[]> {
    await this.get(orgId, id);
    return this.db
      .select()
      .from(messageTemplateVersions)
      .where(and(eq(messageTemplateVersions.orgId, orgId), eq(messageTemplateVersions.templateId, id)))
      .orderBy(desc(messageTemplateVersions.version));
  }

  async list(orgId: string, f: { channel?: string; cursor?: string; limit: number }) {
    const after = decodeCursor(f.cursor);
    const rows = await this.db
      .select()
      .from(messageTemplates)
      .where(
        and(
          eq(messageTemplates.orgId, orgId),
          f.channel ? eq(messageTemplates.channel, f.channel) : undefined,
          after ? lt(messageTemplates.id, after) : undefined,
        ),
      )
      .orderBy(desc(messageTemplates.id))
      .limit(f.limit + 1);
    return pageOf(rows, f.limit);
  }

  /**
   * Changes a template. A new name alone keeps the version; new content makes the next version
   * (the one sends use from now on), written only if nobody changed the template meanwhile.
   */
  async update(orgId: string, id: string, patch: Partial<TemplateInput>): Promise<MessageTemplateRow> {
    const t = await this.get(orgId, id);
    if (patch.channel !== undefined && patch.channel !== t.channel)
      throw invalid("channel", "a template's channel cannot change; create another template");
    const content = {
      subject: patch.subject === undefined ? t.subject : patch.subject,
      text: patch.text === undefined ? t.text : patch.text,
      html: patch.html === undefined ? t.html : patch.html,
    };
    requireContent({ ...content, channel: t.channel });
    const changed = content.subject !== t.subject || content.text !== t.text || content.html !== t.html;
    const version = changed ? t.version + 1 : t.version;
    const now = new Date().toISOString();
    const same = and(
      eq(messageTemplates.orgId, orgId),
      eq(messageTemplates.id, id),
      eq(messageTemplates.version, t.version),
    );
    try {
      const [rows] = await this.db.batch([
        this.db
          .update(messageTemplates)
          .set({ name: patch.name ?? t.name, ...content, version, updatedAt: now })
          .where(same)
          .returning(),
        // The version row only joins a write that moved the template (a lost race writes neither).
        ...(changed
          ? [
              this.db
                .insert(messageTemplateVersions)
                .values({ templateId: id, orgId, version, ...content })
                .onConflictDoNothing(),
            ]
          : []),
      ]);
      const row = rows[0];
      if (!row)
        throw new ApiError(ErrorCode.CONFLICT, "The template changed meanwhile; read it and try again");
      return row;
    } catch (e) {
      if (patch.name && patch.name !== t.name && (await this.named(orgId, patch.name)))
        throw duplicate(patch.name);
      throw e;
    }
  }

  async delete(orgId: string, id: string): Promise<void> {
    const gone = await this.db
      .delete(messageTemplates)
      .where(and(eq(messageTemplates.orgId, orgId), eq(messageTemplates.id, id)))
      .returning({ id: messageTemplates.id });
    if (!gone.length) throw notFound("Template");
  }
}

const duplicate = (name: string) =>
  new ApiError(ErrorCode.CONFLICT, `A template named "${name}" already exists`);

/** Email needs a subject and text or html; other channels need text. */
function requireContent(c: TemplateContent & { channel: string }) {
  if (c.channel === "email") {
    if (!c.subject) throw invalid("subject", "an email template needs a subject");
    if (!c.text && !c.html) throw invalid("text", "an email template needs text or html");
  } else if (!c.text) throw invalid("text", `a ${c.channel} template needs text`);
}

export const templateView = (t: MessageTemplateRow | TemplateVersion) => ({
  id: t.id,
  name: t.name,
  channel: t.channel,
  version: t.version,
  subject: t.subject ?? null,
  text: t.text ?? null,
  html: t.html ?? null,
  variables: variablesOf(t),
  ...("createdAt" in t ? { created_at: t.createdAt } : {}),
  ...("updatedAt" in t ? { updated_at: t.updatedAt } : {}),
});

export const templateVersionView = (v: MessageTemplateVersionRow) => ({
  version: v.version,
  subject: v.subject,
  text: v.text,
  html: v.html,
  variables: variablesOf(v),
  created_at: v.createdAt,
});
