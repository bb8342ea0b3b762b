/**
 * Xero payments as xero-node (Xero's own SDK) writes and reads them, against the Xero simulator
 * (src/sandbox/providers/xero.ts, served here by a Node HTTP server on a port the system picks,
 * since the SDK speaks HTTP through axios): the payment the hub PUTs has the wire names the SDK serializes a `Payment` to;
 * `createPayments` (the hub's PUT), `createPayment` (a POST) and `getPayments` go through the simulator and their answers deserialize into
 * the SDK's models with the values the hub maps (amount, invoice, contact, currency, reference,
 * date); a repeated Idempotency-Key answers the first payment; an invoice's AmountPaid,
 * AmountDue and FullyPaidOnDate read the same through the SDK and through the hub's mapping.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountingApi, ObjectSerializer, type Payment } from "xero-node";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import { mapPayment, pushPayment } from "../../src/providers/xero/payments.ts";
import { mapInvoice } from "../../src/providers/xero/sync.ts";
import { dataset } from "../../src/sandbox/dataset.ts";
import { xeroAccount, xeroId } from "../../src/sandbox/providers/xero/entities.ts";
import { xero } from "../../src/sandbox/providers/xero.ts";

let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const answer = await xero.fetch(
      new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers,
        body:
          chunks.length && req.method !== "GET" && req.method !== "HEAD" ? Buffer.concat(chunks) : undefined,
      }),
    );
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const shape = (entity: string, tenant: string, count: number) =>
  dataset("xero", xeroAccount(tenant), entity).resize(count);

function sdk() {
  const api = new AccountingApi(`${base}/api.xro/2.0`);
  api.accessToken = "eyJhbGciOiJSUzI1NiJ9.sdk-check";
  return api;
}

describe("xero payments against xero-node", () => {
  it("the hub's payment body is what the SDK serializes a Payment to", async () => {
    let sent: unknown;
    const ctx: ProviderContext = {
      baseUrl: "https://api.xero.com",
      config: { tenant_id: crypto.randomUUID(), payment_account_code: "090" },
      secrets: { access_token: "eyJ.x" },
      http: async (req) => {
        sent = await req.json();
        return Response.json({ Payments: [{ PaymentID: crypto.randomUUID(), Amount: 12.5 }] });
      },
      timeoutMs: 5000,
    };
    const invoice = xeroId("invoices", 1);
    await pushPayment(
      ctx,
      { invoice_external_id: invoice, amount: 12.5, date: "2026-11-03", reference: "BANK-1" },
      { data: { amount: 12.5 } as never, key: "push_1" },
    );
    const model: Payment = {
      invoice: { invoiceID: invoice },
      account: { code: "090" },
      date: "2026-11-03",
      amount: 12.5,
      reference: "BANK-1",
    };
    expect(sent).toEqual({ Payments: [ObjectSerializer.serialize(model, "Payment")] });
  });

  it("createPayment and getPayments through the simulator agree with the hub's mapping", async () => {
    const tenant = crypto.randomUUID();
    shape("customers", tenant, 6);
    shape("invoices", tenant, 6);
    shape("payments", tenant, 2);
    const api = sdk();
    const invoiceId = xeroId("invoices", 1);
    const payment: Payment = {
      invoice: { invoiceID: invoiceId },
      account: { code: "090" },
      date: "2026-11-03",
      amount: 1.74,
      reference: "SDK-1",
    };
    const created = await api.createPayments(tenant, { payments: [payment] }, true, "sdk-idem-1");
    const made = created.body.payments?.[0];
    const raw = created.response.data.Payments[0];
    const mapped = mapPayment(raw);
    expect(made?.paymentID).toBeTruthy();
    expect(mapped).toEqual({
      invoice_external_id: made?.invoice?.invoiceID,
      customer_external_id: made?.invoice?.contact?.contactID,
      date: "2026-11-03",
      amount: made?.amount,
      currency: String(made?.invoice?.currencyCode),
      method: null,
      reference: made?.reference,
    });
    expect(mapped).toMatchObject({ invoice_external_id: invoiceId, amount: 1.74, currency: "USD" });

    const again = await api.createPayments(tenant, { payments: [payment] }, true, "sdk-idem-1");
    expect(again.body.payments?.[0]?.paymentID).toBe(made?.paymentID);
    // The rest as one POSTed payment (createPayment).
    const rest = await api.createPayment(tenant, { ...payment, amount: 1, reference: "SDK-2" }, "sdk-idem-2");
    expect(rest.body.payments?.[0]).toMatchObject({ amount: 1, reference: "SDK-2" });

    const listed = await api.getPayments(
      tenant,
      undefined,
      'PaymentType=="ACCRECPAYMENT"',
      undefined,
      1,
      100,
    );
    const models = listed.body.payments ?? [];
    // Generated payments 1 and 2 pay invoices 3 and 6; the new two pay invoice 1.
    expect(models.map((p) => p.invoice?.invoiceID).sort()).toEqual(
      [invoiceId, invoiceId, xeroId("invoices", 3), xeroId("invoices", 6)].sort(),
    );
    const rows = listed.response.data.Payments as unknown[];
    rows.forEach((row, n) => {
      const m = mapPayment(row);
      expect(m.amount).toBe(models[n]?.amount);
      expect(m.invoice_external_id).toBe(models[n]?.invoice?.invoiceID);
      expect(m.reference).toBe(models[n]?.reference);
    });

    const inv = await api.getInvoices(tenant);
    const at = (inv.body.invoices ?? []).findIndex((x) => x.invoiceID === invoiceId);
    const model = inv.body.invoices?.[at];
    const hub = mapInvoice(inv.response.data.Invoices[at]);
    expect(model?.amountPaid).toBe(2.74);
    expect(model?.amountDue).toBe(0);
    expect(hub).toMatchObject({
      status: "paid",
      amount_paid: model?.amountPaid,
      balance: model?.amountDue,
      paid_at: "2026-11-03",
    });
    // The SDK reads Xero's `/Date(ms+0000)/` into a Date: the same day the hub maps.
    expect(new Date(model?.fullyPaidOnDate as unknown as string).toISOString().slice(0, 10)).toBe(
      hub.paid_at,
    );
  });
});
