/**
 * `node scripts/test-tls.ts`: a throwaway certificate authority and a server certificate for
 * 127.0.0.1/localhost signed by it, for the TLS servers of the tests (test/smtp-server.global.ts).
 *
 * Everything lives in `.wrangler/test-tls/` (gitignored; nothing here is ever committed):
 * `ca.pem` and `ca-key.pem` (the CA), `server.pem` and `server-key.pem` (the server's). Files
 * that are present and valid (parse, match their keys, chain to the CA, cover 127.0.0.1 and
 * localhost, and stay valid for at least another day) are kept; anything else is made anew with
 * the `openssl` CLI. A new CA always comes with a new server certificate.
 *
 * `npm test` runs this before vitest and starts vitest with `NODE_EXTRA_CA_CERTS` pointing at
 * `ca.pem`: miniflare reads that variable when first imported (before any global setup runs) and
 * has workerd trust the CA, so the Worker's STARTTLS and implicit TLS connections to the test
 * servers verify. Prints nothing on success; on failure, the reason, with exit code 1.
 */
import { execFile } from "node:child_process";
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The directory holding the CA and the server certificate. */
export const TLS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", ".wrangler", "test-tls");
/** The CA certificate (PEM): what `NODE_EXTRA_CA_CERTS` points at. */
export const CA_CERT = join(TLS_DIR, "ca.pem");
const CA_KEY = join(TLS_DIR, "ca-key.pem");
export const SERVER_CERT = join(TLS_DIR, "server.pem");
export const SERVER_KEY = join(TLS_DIR, "server-key.pem");

const CA_DAYS = 30;
const SERVER_DAYS = 7;
/** A certificate that expires sooner than this is replaced. */
const MARGIN_MS = 24 * 60 * 60 * 1000;

export interface TestTls {
  /** The CA certificate's path (`CA_CERT`). */
  caPath: string;
  ca: Buffer;
  /** The server certificate (PEM) and its private key (PEM). */
  cert: Buffer;
  key: Buffer;
  /** Whether the CA was made by this call (so a process that read `ca.pem` earlier did not see it). */
  caCreated: boolean;
}

const readOrUndefined = (path: string) => {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
};

/** Valid now and for at least another `MARGIN_MS`. */
function current(cert: X509Certificate): boolean {
  const now = Date.now();
  return Date.parse(cert.validFrom) <= now && Date.parse(cert.validTo) - MARGIN_MS > now;
}

/** The CA certificate when it and its key are present and valid. */
function validCa(): X509Certificate | undefined {
  const [pem, key] = [readOrUndefined(CA_CERT), readOrUndefined(CA_KEY)];
  if (!pem || !key) return undefined;
  try {
    const ca = new X509Certificate(pem);
    return ca.ca && current(ca) && ca.checkPrivateKey(createPrivateKey(key)) ? ca : undefined;
  } catch {
    return undefined;
  }
}

function validServer(ca: X509Certificate): boolean {
  const [pem, key] = [readOrUndefined(SERVER_CERT), readOrUndefined(SERVER_KEY)];
  if (!pem || !key) return false;
  try {
    const cert = new X509Certificate(pem);
    return (
      !cert.ca &&
      current(cert) &&
      cert.checkIssued(ca) &&
      cert.verify(ca.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(key)) &&
      cert.checkIP("127.0.0.1") !== undefined &&
      cert.checkHost("localhost", { wildcards: false }) !== undefined
    );
  } catch {
    return false;
  }
}

async function openssl(args: string[]): Promise<void> {
  try {
    await promisify(execFile)("openssl", args, { timeout: 20_000 });
  } catch (e) {
    const err = e as Error & { code?: unknown; stderr?: string };
    const reason = err.code === "ENOENT" ? "the openssl CLI was not found on PATH" : err.stderr?.trim();
    throw new Error(`openssl ${args[0]} failed: ${reason || err.message}`);
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Makes the CA in `dir` (ca.pem, ca-key.pem). */
async function makeCa(dir: string): Promise<void> {
  await openssl([
    ...["req", "-x509", ...EC_KEY, "-keyout", join(dir, "ca-key.pem"), "-out", join(dir, "ca.pem")],
    ...["-days", String(CA_DAYS), "-subj", "/O=Switchboard tests/CN=Switchboard test CA (throwaway)"],
    ...["-addext", "basicConstraints=critical,CA:TRUE,pathlen:0"],
    ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
}

/** Makes the server's key and certificate in `dir`, signed by the CA at `caCert`/`caKey`. */
async function makeServer(dir: string, caCert: string, caKey: string): Promise<void> {
  const [csr, ext] = [join(dir, "server.csr"), join(dir, "server.ext")];
  await openssl([
    ...["req", "-new", ...EC_KEY, "-keyout", join(dir, "server-key.pem"), "-out", csr],
    ...["-subj", "/O=Switchboard tests/CN=localhost"],
  ]);
  writeFileSync(
    ext,
    [
      "basicConstraints = critical, CA:FALSE",
      "keyUsage = critical, digitalSignature",
      "extendedKeyUsage = serverAuth",
      "subjectAltName = IP:127.0.0.1, DNS:localhost",
      "subjectKeyIdentifier = hash",
      "authorityKeyIdentifier = keyid",
      "",
    ].join("\n"),
  );
  // A random positive serial (the top bit cleared), so no serial file is needed next to the CA.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  await openssl([
    ...["x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey],
    ...["-set_serial", `0x${serial.toString("hex")}`, "-days", String(SERVER_DAYS)],
    ...["-extfile", ext, "-out", join(dir, "server.pem")],
  ]);
}

/**
 * Makes sure `.wrangler/test-tls/` holds a valid CA and a server certificate for 127.0.0.1 and
 * localhost signed by it, making what is missing or invalid, and returns them. New files are made
 * in a temporary directory beside it and moved into place, so an interrupted run leaves no half.
 */
export async function ensureTestTls(): Promise<TestTls> {
  let ca = validCa();
  const caCreated = !ca;
  if (!ca || !validServer(ca)) {
    mkdirSync(TLS_DIR, { recursive: true, mode: 0o700 });
    const tmp = mkdtempSync(join(TLS_DIR, ".new-"));
    try {
      if (caCreated) await makeCa(tmp);
      const [caCert, caKey] = caCreated ? [join(tmp, "ca.pem"), join(tmp, "ca-key.pem")] : [CA_CERT, CA_KEY];
      await makeServer(tmp, caCert, caKey);
      const moves = [...(caCreated ? ["ca-key.pem", "ca.pem"] : []), "server-key.pem", "server.pem"];
      for (const name of moves) {
        if (name.endsWith("-key.pem")) chmodSync(join(tmp, name), 0o600);
        renameSync(join(tmp, name), join(TLS_DIR, name));
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    ca = validCa();
    if (!ca || !validServer(ca)) {
      throw new Error(`the certificates made in ${TLS_DIR} do not verify (another run replacing them?)`);
    }
  }
  return {
    caPath: CA_CERT,
    ca: readFileSync(CA_CERT),
    cert: readFileSync(SERVER_CERT),
    key: readFileSync(SERVER_KEY),
    caCreated,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await ensureTestTls();
  } catch (e) {
    console.error(`[test-tls] ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
