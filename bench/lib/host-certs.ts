import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { BENCH_TLS, ROOT } from "./server.ts";

const run = promisify(execFile);
/** Made on first use and kept (not in git): one certificate per address. */
const DIR = join(ROOT, "bench", "tls", "hosts");
const CA = join(ROOT, "test", "tls");

export interface HostCertificate {
  cert: Buffer;
  key: Buffer;
}

/**
 * A certificate naming only `ip`, signed by the test CA, for each host, as a
 * real server's names only itself. bench/tls/server.pem names all 1,012
 * benchmark addresses; served by every sink it made each client handshake
 * parse and search 1,012 names (Node's getPeerCertificate and
 * checkServerIdentity: about 2 ms a connection, a quarter of Plein's CPU in a
 * fan-out to 1,000 new hosts), a cost of the benchmark, not of Plein.
 */
export async function hostCertificates(hosts: readonly string[]): Promise<Map<string, HostCertificate>> {
  mkdirSync(DIR, { recursive: true });
  const csr = join(DIR, "host.csr");
  if (!existsSync(csr)) {
    await run("openssl", ["req", "-new", "-key", BENCH_TLS.key, "-subj", "/CN=plein benchmark host", "-out", csr]);
  }
  const missing = hosts.filter((host) => !existsSync(join(DIR, `${host}.pem`)));
  if (missing.length > 0) process.stdout.write(`making certificates for ${missing.length} benchmark hosts (once)...\n`);
  for (let i = 0; i < missing.length; i += 8) {
    await Promise.all(missing.slice(i, i + 8).map(async (host) => {
      const ext = join(DIR, `${host}.cnf`);
      writeFileSync(ext, `subjectAltName=IP:${host}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
      await run("openssl", ["x509", "-req", "-in", csr, "-CA", join(CA, "ca.pem"), "-CAkey", join(CA, "ca.key"),
        "-set_serial", String(1_000_000 + Math.floor(Math.random() * 1e9)), "-days", "7300",
        "-extfile", ext, "-out", join(DIR, `${host}.pem`)]);
    }));
  }
  const key = readFileSync(BENCH_TLS.key);
  return new Map(hosts.map((host) => [host, { cert: readFileSync(join(DIR, `${host}.pem`)), key }]));
}
