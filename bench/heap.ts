/**
 * The hub's own JS heap, read through wrangler's inspector proxy, which reaches the hub worker's
 * isolate only (not local D1, the local queues or the simulator): `Runtime.getHeapUsage`.
 */

/** Bytes of the isolate's heap: in use (live objects and garbage not yet collected), and committed by V8. */
export interface Heap {
  used: number;
  total: number;
}

/** One DevTools session with the hub's isolate. */
export class HeapProbe {
  private next = 0;
  private readonly pending = new Map<number, (result: unknown) => void>();
  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener("message", (m) => {
      const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
      if (msg.id === undefined) return;
      this.pending.get(msg.id)?.(msg.result);
      this.pending.delete(msg.id);
    });
  }

  /** Connects to the inspector proxy on `port` (wrangler asks for a local `Origin`). */
  static async open(port: number): Promise<HeapProbe> {
    // Node's WebSocket (undici) takes headers as an extension of the standard constructor.
    const init = { headers: { origin: "http://127.0.0.1" } } as unknown as string[];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, init);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error(`no inspector on port ${port}`)), { once: true });
    });
    return new HeapProbe(ws);
  }

  /** The heap now. */
  usage(): Promise<Heap> {
    // Far above wrangler's own message ids, so answers never mix.
    const id = 1_000_000 + ++this.next;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("inspector: no answer to Runtime.getHeapUsage")),
        10_000,
      );
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        const { usedSize, totalSize } = r as { usedSize: number; totalSize: number };
        resolve({ used: usedSize, total: totalSize });
      });
      this.ws.send(JSON.stringify({ id, method: "Runtime.getHeapUsage" }));
    });
  }

  close() {
    this.ws.close();
  }
}
