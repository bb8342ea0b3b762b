/**
 * A host name that resolves, on this machine, to a loopback address (through the hosts file or
 * DNS), for the outbound tests: a name that looks public as written and leads to 127.0.0.1, the
 * case only a check where the connection is made can refuse. Used by vitest.config.ts (which
 * passes it to the Worker as a binding) and by test/outbound-trap.global.ts (which listens on
 * the address it resolves to). Fails with what to do when no candidate resolves to loopback.
 */
import { lookup } from "node:dns/promises";
import { hostname } from "node:os";

export interface LoopbackName {
  name: string;
  address: string;
}

/** This machine's name first, then the loopback aliases many hosts files carry, then ours. */
const CANDIDATES = [
  hostname(),
  "localhost.localdomain",
  "ip6-localhost",
  "ip6-loopback",
  "localhost6",
  "switchboard-test",
];

const isLoopback = (address: string) => address.startsWith("127.") || address === "::1";

export async function loopbackName(): Promise<LoopbackName> {
  for (const name of CANDIDATES) {
    if (!name || name.toLowerCase() === "localhost") continue;
    const found = await lookup(name, { all: true }).catch(() => []);
    const first = found.find((a) => isLoopback(a.address));
    if (first) return { name, address: first.address };
  }
  throw new Error(
    `the outbound tests need a host name that resolves to a loopback address; none of ${CANDIDATES.join(", ")} ` +
      "does. Add one to the hosts file: 127.0.0.1 switchboard-test",
  );
}
