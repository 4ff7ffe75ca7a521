import { createServer } from "node:net";

/**
 * One benchmark at a time on a machine: they share the addresses 127.0.9.x and
 * 127.100.x.y, and their figures mean little while another one runs.
 * The lock is a listener on 127.0.9.250:443 (outside the certificate's
 * addresses), released when the process exits; a second benchmark waits for it.
 */
export async function holdBenchmarkLock(timeoutMs = 30 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const lock = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      lock.once("error", () => resolve(false));
      lock.listen({ host: "127.0.9.250", port: 443, exclusive: true }, () => resolve(true));
    });
    if (ok) {
      lock.unref();
      return;
    }
    if (Date.now() > deadline) throw new Error("Another benchmark holds 127.0.9.250:443 (the benchmarks' lock)");
    if (!told) process.stdout.write("waiting for another benchmark to finish...\n");
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
