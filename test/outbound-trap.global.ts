/**
 * Vitest global setup (runs in Node): the targets of the outbound tests (test/outbound*.test.ts).
 *
 * - `trap`: a TCP listener that must never be connected to, on the loopback address that
 *   `loopbackName()` resolves to (and on 127.0.0.1). It counts every connection (and
 *   answers a minimal HTTP 200, so a client that got through sees a success, not a hang).
 * - `redirector`: an HTTP server that answers every request with `302 Location:
 *   http://127.0.0.1:<trap>/followed` (a provider or endpoint that redirects to a private host).
 * - `http`: the side channel the tests read the counts from, `GET /counts` →
 *   `{"trap": n, "redirector": n}`.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { type AddressInfo, createServer, type Server as NetServer, type Socket } from "node:net";
import type { TestProject } from "vitest/node";
import { loopbackName } from "./loopback-name.ts";

export interface OutboundTargets {
  /** A host name that resolves to a loopback address (test/loopback-name.ts). */
  loopbackName: string;
  trap: number;
  redirector: number;
  http: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    outbound: OutboundTargets;
  }
}

function listen(server: NetServer | Server, port = 0, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export default async function setup(project: TestProject) {
  const loopback = await loopbackName();
  const counts = { trap: 0, redirector: 0 };
  const onTrap = (socket: Socket) => {
    counts.trap++;
    socket.on("error", () => {});
    socket.end(
      "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 7\r\nconnection: close\r\n\r\ntrapped",
    );
  };
  const trap = createServer(onTrap);
  const trapPort = await listen(trap);
  // The same port on the address the name resolves to, when that is not 127.0.0.1 itself.
  const traps = [trap];
  if (loopback.address !== "127.0.0.1") {
    const second = createServer(onTrap);
    await listen(second, trapPort, loopback.address);
    traps.push(second);
  }
  const redirector = createHttpServer((req, res) => {
    counts.redirector++;
    req.resume();
    res.writeHead(302, { location: `http://127.0.0.1:${trapPort}/followed`, "content-type": "text/plain" });
    res.end("moved");
  });
  const side = createHttpServer((req, res) => {
    res.writeHead(req.url === "/counts" ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(req.url === "/counts" ? counts : { error: "not found" }));
  });
  project.provide("outbound", {
    loopbackName: loopback.name,
    trap: trapPort,
    redirector: await listen(redirector),
    http: await listen(side),
  });
  return async () => {
    redirector.closeAllConnections();
    side.closeAllConnections();
    await Promise.all(
      [...traps, redirector, side].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
  };
}
