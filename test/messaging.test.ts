/**
 * Messaging as a platform: templates with `{{variables}}` (versioned; HTML-escaped in html
 * only), scheduled sends with `send_at` and their cancellation (also racing a send), and
 * suppression lists (a send to a suppressed recipient is a 422 with nothing stored). The
 * queue consumer is driven by hand (the API's queue is a stub) so each delivery is observed.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { call, newIntegration, newOrg, sandboxInbox, stubQueue, type TestOrg } from "./harness.ts";

let jobs: ReturnType<typeof stubQueue>;
let org: TestOrg;
let mailId: string;

beforeEach(async () => {
  jobs = stubQueue();
  org = await newOrg();
  await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: "123456:ABCdef" });
  mailId = (
    await newIntegration(org, {
      provider: "sendgrid",
      name: "Mail",
      api_key: "SG.sandboxkey123.abcDEF_ghi-jkl",
      from_email: "noreply@example.com",
    })
  ).id;
});

const submit = (body: Record<string, unknown>, key = org.adminKey) =>
  call("POST", "/api/messages", { key, body, env: { JOBS: jobs.queue } });

const getMessage = async (id: string) =>
  (await call("GET", `/api/messages/${id}`, { key: org.adminKey })).json.message;

const countMessages = async () =>
  (await call("GET", "/api/messages", { key: org.adminKey })).json.messages.length as number;

/** Runs the jobs consumer on one delivery of a queue message. */
async function deliver(body: unknown) {
  const batch = createMessageBatch("switchboard-jobs", [
    { id: `q-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, JOBS: jobs.queue, DLQ: stubQueue().queue } as Env, ctx);
  return getQueueResult(batch, ctx);
}

/** As if the clock had reached the message's time: its next attempt is due now. */
const makeDue = (id: string) =>
  env.DB.prepare("UPDATE messages SET next_attempt_at = ? WHERE id = ?")
    .bind(new Date().toISOString(), id)
    .run();

async function template(body: Record<string, unknown>) {
  const r = await call("POST", "/api/templates", { key: org.adminKey, body });
  expect(r.status, r.text).toBe(201);
  return r.json.template;
}

describe("templates", () => {
  it("render variables (escaped in html only), record the version used, and version on change", async () => {
    const t = await template({
      name: "welcome",
      channel: "email",
      subject: "Welcome, {{ first_name }}",
      text: "Hi {{first_name}}, your code is {{code}}.",
      html: "<p>Hi {{first_name}}, your code is <b>{{code}}</b>.</p>",
    });
    expect(t).toMatchObject({ version: 1, variables: ["first_name", "code"] });
    const vars = { first_name: "Ada <script>", code: 42 };
    const r = await submit({ template_id: t.id, to: "ada@example.com", variables: vars });
    expect(r.status, r.text).toBe(202);
    expect(r.json.message).toMatchObject({
      channel: "email",
      integration_id: mailId,
      subject: "Welcome, Ada <script>",
      text: "Hi Ada <script>, your code is 42.",
      html: "<p>Hi Ada &lt;script&gt;, your code is <b>42</b>.</p>",
      template_id: t.id,
      template_version: 1,
    });

    const changed = await call("PATCH", `/api/templates/${t.id}`, {
      key: org.adminKey,
      body: { text: "Hello {{first_name}}!" },
    });
    expect(changed.json.template).toMatchObject({ version: 2, text: "Hello {{first_name}}!" });
    // A rename alone keeps the version.
    const renamed = await call("PATCH", `/api/templates/${t.id}`, {
      key: org.adminKey,
      body: { name: "hello" },
    });
    expect(renamed.json.template).toMatchObject({ name: "hello", version: 2 });
    const v2 = await submit({ template_id: t.id, to: "ada@example.com", variables: vars });
    expect(v2.json.message).toMatchObject({ text: "Hello Ada <script>!", template_version: 2 });
    const v1 = await submit({
      template_id: t.id,
      template_version: 1,
      to: "ada@example.com",
      variables: vars,
    });
    expect(v1.json.message).toMatchObject({ text: "Hi Ada <script>, your code is 42.", template_version: 1 });

    const old = await call("GET", `/api/templates/${t.id}?version=1`, { key: org.adminKey });
    expect(old.json.template).toMatchObject({
      version: 1,
      text: "Hi {{first_name}}, your code is {{code}}.",
    });
    const versions = await call("GET", `/api/templates/${t.id}/versions`, { key: org.adminKey });
    expect(versions.json.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it("a missing variable is a 400 naming it, and nothing is stored or queued", async () => {
    const t = await template({ name: "code", channel: "telegram", text: "{{greeting}}, code {{code}}" });
    const r = await submit({ template_id: t.id, to: "1001", variables: { code: "1" } });
    expect(r.status).toBe(400);
    expect(r.json.issues).toEqual([
      { path: "variables.greeting", message: 'missing: template "code" (version 1) uses {{greeting}}' },
    ]);
    expect(await countMessages()).toBe(0);
    expect(jobs.sent).toEqual([]);
  });

  it("refuses content beside a template, another channel, an unknown template and a subject line break", async () => {
    const t = await template({ name: "sub", channel: "email", subject: "For {{who}}", text: "x" });
    const both = await submit({ template_id: t.id, to: "a@example.com", text: "also" });
    expect(both.status).toBe(400);
    expect(both.json.error).toMatch(/^text: give template_id or the content/);
    const other = await submit({ template_id: t.id, channel: "telegram", to: "1", variables: { who: "x" } });
    expect(other.json.error).toMatch(/^channel: template "sub" is for email/);
    const unknown = await submit({ template_id: "tpl_nope", to: "a@example.com" });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatch(/^template_id: Template not found/);
    // A value cannot add a header line.
    const r = await submit({
      template_id: t.id,
      to: "a@example.com",
      variables: { who: "Ada\r\nBcc: eve@example.com" },
    });
    expect(r.json.message.subject).toBe("For Ada Bcc: eve@example.com");
    expect(await countMessages()).toBe(1);
  });

  it("names are unique; content must fit the channel; members read but cannot write; tenants are apart", async () => {
    await template({ name: "dup", channel: "sms", text: "a" });
    const dup = await call("POST", "/api/templates", {
      key: org.adminKey,
      body: { name: "dup", channel: "sms", text: "b" },
    });
    expect(dup.status).toBe(409);
    const noSubject = await call("POST", "/api/templates", {
      key: org.adminKey,
      body: { name: "mail", channel: "email", text: "b" },
    });
    expect(noSubject.status).toBe(400);
    expect(noSubject.json.error).toMatch(/^subject:/);
    const member = await call("POST", "/api/templates", {
      key: org.memberKey,
      body: { name: "m", channel: "sms", text: "b" },
    });
    expect(member.status).toBe(403);
    const list = await call("GET", "/api/templates?channel=sms", { key: org.memberKey });
    expect(list.json.templates.map((t: { name: string }) => t.name)).toEqual(["dup"]);
    const other = await newOrg();
    const id = list.json.templates[0].id;
    expect((await call("GET", `/api/templates/${id}`, { key: other.adminKey })).status).toBe(404);
    expect((await call("DELETE", `/api/templates/${id}`, { key: other.adminKey })).status).toBe(404);
    const theirs = await call("POST", "/api/messages", {
      key: other.adminKey,
      body: { template_id: id, to: "+14155550123" },
    });
    expect(theirs.status).toBe(400);
    expect((await call("DELETE", `/api/templates/${id}`, { key: org.adminKey })).status).toBe(204);
    expect((await call("GET", `/api/templates/${id}`, { key: org.adminKey })).status).toBe(404);
  });
});

describe("scheduled sends", () => {
  it("are stored scheduled, queued with the delay, put off if early, and sent once due", async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const r = await submit({ channel: "telegram", to: "2001", text: "later", send_at: at });
    expect(r.status, r.text).toBe(202);
    const id = r.json.message.id;
    expect(r.json.message).toMatchObject({ status: "scheduled", next_attempt_at: at });
    expect(jobs.delays[0]).toBeGreaterThanOrEqual(3599);
    expect(jobs.delays[0]).toBeLessThanOrEqual(3600);
    // A delivery before its time sends nothing and asks again at the time.
    const early = await deliver(jobs.sent[0]);
    expect(early.explicitAcks).toHaveLength(1);
    expect(jobs.sent).toHaveLength(2);
    expect((await getMessage(id)).status).toBe("scheduled");
    await makeDue(id);
    await deliver(jobs.sent[1]);
    const sent = await getMessage(id);
    expect(sent.status).toBe("sent");
    expect(sent.timeline.map((s: { step: string }) => s.step)).toEqual(["scheduled", "sent"]);
    expect(sent.timeline[0].detail).toBe(at);
    expect((await sandboxInbox("telegram")).filter((m) => m.body.text === "later")).toHaveLength(1);
  });

  it("beyond the queue's longest delay, the delivery comes early and is put off again", async () => {
    const at = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const r = await submit({ channel: "telegram", to: "2002", text: "in two days", send_at: at });
    expect(jobs.delays[0]).toBe(43_200);
    await deliver(jobs.sent[0]);
    expect(jobs.delays[1]).toBe(43_200);
    expect((await getMessage(r.json.message.id)).status).toBe("scheduled");
  });

  it("send_at more than 30 days ahead or not a time is a 400; one in the past sends now", async () => {
    const far = await submit({
      channel: "telegram",
      to: "2003",
      text: "x",
      send_at: new Date(Date.now() + 31 * 86_400_000).toISOString(),
    });
    expect(far.status).toBe(400);
    expect(far.json.error).toMatch(/^send_at: must be at most 30 days ahead/);
    const bad = await submit({ channel: "telegram", to: "2003", text: "x", send_at: "tomorrow" });
    expect(bad.status).toBe(400);
    expect(await countMessages()).toBe(0);
    const past = await submit({
      channel: "telegram",
      to: "2003",
      text: "x",
      send_at: "2020-01-01T00:00:00Z",
    });
    expect(past.json.message.status).toBe("queued");
    expect(jobs.delays[0]).toBeUndefined();
  });

  it("cancel before the send gives cancelled and nothing is sent; after it, 409", async () => {
    const at = new Date(Date.now() + 600_000).toISOString();
    const r = await submit({ channel: "telegram", to: "2004", text: "never", send_at: at });
    const id = r.json.message.id;
    const cancelled = await call("POST", `/api/messages/${id}/cancel`, { key: org.adminKey });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.json.message.status).toBe("cancelled");
    await makeDue(id);
    await deliver(jobs.sent[0]);
    const after = await getMessage(id);
    expect(after.status).toBe("cancelled");
    expect(after.timeline.map((s: { step: string }) => s.step)).toEqual(["scheduled", "cancelled"]);
    expect((await sandboxInbox("telegram")).filter((m) => m.body.text === "never")).toEqual([]);
    const again = await call("POST", `/api/messages/${id}/cancel`, { key: org.adminKey });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatch(/is cancelled/);

    const now = await submit({ channel: "telegram", to: "2005", text: "sent already" });
    await deliver(jobs.sent.at(-1));
    const late = await call("POST", `/api/messages/${now.json.message.id}/cancel`, { key: org.adminKey });
    expect(late.status).toBe(409);
    expect(late.json.error).toMatch(/is sent/);
  });

  it("a cancel racing a send: the one that takes the message first wins, the other changes nothing", async () => {
    const r = await submit({ channel: "telegram", to: "2006", text: "race" });
    const id = r.json.message.id;
    // A consumer holds it (its lease is live): the cancel is refused, the send goes on.
    await env.DB.prepare("UPDATE messages SET status = 'sending', lease_until = ? WHERE id = ?")
      .bind(Date.now() + 60_000, id)
      .run();
    const refused = await call("POST", `/api/messages/${id}/cancel`, { key: org.adminKey });
    expect(refused.status).toBe(409);
    expect((await getMessage(id)).status).toBe("sending");
    // The other way round: cancelled first, the delivery that follows sends nothing.
    const s = await submit({ channel: "telegram", to: "2007", text: "race 2" });
    expect(
      (await call("POST", `/api/messages/${s.json.message.id}/cancel`, { key: org.adminKey })).status,
    ).toBe(200);
    await deliver(jobs.sent.at(-1));
    await deliver(jobs.sent.at(-1));
    expect((await getMessage(s.json.message.id)).status).toBe("cancelled");
    expect((await sandboxInbox("telegram")).filter((m) => m.body.text === "race 2")).toEqual([]);
  });

  it("a member key cannot cancel; another organization's message is a 404", async () => {
    const r = await submit({
      channel: "telegram",
      to: "2008",
      text: "x",
      send_at: new Date(Date.now() + 60_000).toISOString(),
    });
    const id = r.json.message.id;
    expect((await call("POST", `/api/messages/${id}/cancel`, { key: org.memberKey })).status).toBe(403);
    const other = await newOrg();
    expect((await call("POST", `/api/messages/${id}/cancel`, { key: other.adminKey })).status).toBe(404);
    expect((await getMessage(id)).status).toBe("scheduled");
  });
});

describe("suppressions", () => {
  it("a suppressed recipient is refused with 422 and nothing stored; removing it allows sends again", async () => {
    const added = await call("POST", "/api/suppressions", {
      key: org.adminKey,
      body: { channel: "email", address: " Ada@Example.com ", note: "asked by phone" },
    });
    expect(added.status, added.text).toBe(201);
    expect(added.json.suppression).toMatchObject({
      channel: "email",
      address: "ada@example.com",
      reason: "manual",
      source: "api",
    });
    const again = await call("POST", "/api/suppressions", {
      key: org.adminKey,
      body: { channel: "email", address: "ada@example.com" },
    });
    expect(again.status).toBe(200);
    expect(again.json.suppression.id).toBe(added.json.suppression.id);

    const refused = await submit({ channel: "email", to: "ADA@example.com", subject: "Hi", text: "x" });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ code: "RECIPIENT_SUPPRESSED", issues: [{ path: "to" }] });
    expect(refused.json.error).toMatch(/ada@example\.com is on the email suppression list \(manual/);
    // Also through a named integration, and through a template.
    const named = await submit({ integration_id: mailId, to: "ada@example.com", subject: "Hi", text: "x" });
    expect(named.status).toBe(422);
    const t = await template({ name: "t", channel: "email", subject: "s", text: "t" });
    expect((await submit({ template_id: t.id, to: "ada@example.com" })).status).toBe(422);
    expect(await countMessages()).toBe(0);
    expect(jobs.sent).toEqual([]);
    // Another recipient, or another organization, is not suppressed.
    expect(
      (await submit({ channel: "email", to: "grace@example.com", subject: "Hi", text: "x" })).status,
    ).toBe(202);
    const other = await newOrg();
    expect((await call("GET", "/api/suppressions", { key: other.adminKey })).json.suppressions).toEqual([]);
    expect(
      (await call("DELETE", `/api/suppressions/${added.json.suppression.id}`, { key: other.adminKey }))
        .status,
    ).toBe(404);

    const removed = await call("DELETE", `/api/suppressions/${added.json.suppression.id}`, {
      key: org.adminKey,
    });
    expect(removed.status).toBe(204);
    expect((await submit({ channel: "email", to: "ada@example.com", subject: "Hi", text: "x" })).status).toBe(
      202,
    );
  });

  it("numbers are compared as the channel writes them; members list but cannot add; bad input is a 400", async () => {
    await call("POST", "/api/suppressions", {
      key: org.adminKey,
      body: { channel: "whatsapp", address: "whatsapp:+14155550123", reason: "unsubscribe" },
    });
    const listed = await call("GET", "/api/suppressions?channel=whatsapp&address=%2B14155550123", {
      key: org.memberKey,
    });
    expect(listed.json.suppressions).toEqual([
      expect.objectContaining({ address: "+14155550123", reason: "unsubscribe" }),
    ]);
    expect(
      (
        await call("POST", "/api/suppressions", {
          key: org.memberKey,
          body: { channel: "sms", address: "+1" },
        })
      ).status,
    ).toBe(403);
    const bad = await call("POST", "/api/suppressions", {
      key: org.adminKey,
      body: { channel: "pigeon", address: "" },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.issues.map((i: { path: string }) => i.path).sort()).toEqual(["address", "channel"]);
  });
});
