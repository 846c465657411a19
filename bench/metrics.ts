/**
 * What `--metrics` costs on the signing path: two daemons on one signer
 * set-up, one with `--metrics` (and a scraper reading `/metrics` every
 * 100 ms) and one without, sealing the same kind of Clique headers over IPC
 * in alternating rounds (so machine noise hits both alike). Prints the p50
 * and throughput of each and the overhead of metrics in percent.
 *
 * Run: `deno run -A bench/metrics.ts [--rounds=N] [--requests=N]`
 * (`deno task bench:metrics`). `--strict` exits 1 when the p50 overhead is
 * 5 % or more.
 *
 * @module
 */
import {
  cliqueHeader,
  cliqueRlp,
  freePort,
  GUIDE_RULES,
  IpcClient,
  quantile,
  setupSigner,
  startDaemon,
} from "../tests/_daemon.ts";

const arg = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const ROUNDS = Number(arg("rounds") ?? 6);
const REQUESTS = Number(arg("requests") ?? 300);
const STRICT = Deno.args.includes("--strict");

async function seal(
  c: IpcClient,
  address: string,
  from: bigint,
  n: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const rlp = cliqueRlp(cliqueHeader(from + BigInt(i)));
    const t = performance.now();
    await c.call("account_signData", [
      "application/x-clique-header",
      address,
      rlp,
    ]);
    times.push(performance.now() - t);
  }
  return times;
}

const s = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
const s2 = await setupSigner({ rulesPath: GUIDE_RULES.cliqueOnly });
const port = freePort();
const plain = await startDaemon(s, {});
const withMetrics = await startDaemon(s2, {
  extraFlags: ["--metrics", "--metrics.port", String(port)],
});
let scraping = true;
const scraper = (async () => {
  while (scraping) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      await r.text();
    } catch { /* the daemon is starting or stopping */ }
    await new Promise((r) => setTimeout(r, 100));
  }
})();
try {
  const a = await IpcClient.connect(plain.ipcPath);
  const b = await IpcClient.connect(withMetrics.ipcPath);
  const times = { plain: [] as number[], metrics: [] as number[] };
  const elapsed = { plain: 0, metrics: 0 };
  await seal(a, s.address, 1n, 50); // warm both (key cache, JIT)
  await seal(b, s2.address, 1n, 50);
  for (let r = 0; r < ROUNDS; r++) {
    const from = BigInt(1000 + r * REQUESTS);
    for (
      const [name, c, address] of [
        ["plain", a, s.address],
        ["metrics", b, s2.address],
      ] as const
    ) {
      const t = performance.now();
      times[name].push(...await seal(c, address, from, REQUESTS));
      elapsed[name] += performance.now() - t;
    }
  }
  a.close();
  b.close();
  const report = (name: "plain" | "metrics") => {
    const sorted = [...times[name]].sort((x, y) => x - y);
    return {
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      perSec: times[name].length / (elapsed[name] / 1000),
    };
  };
  const p = report("plain");
  const m = report("metrics");
  const overhead = (m.p50 / p.p50 - 1) * 100;
  const fmt = (x: number) => x.toFixed(3);
  console.log(
    `${ROUNDS} rounds × ${REQUESTS} Clique seals each, alternating, 1 client`,
  );
  console.log(
    `without --metrics: p50 ${fmt(p.p50)} ms, p99 ${fmt(p.p99)} ms, ${
      p.perSec.toFixed(0)
    } sig/s`,
  );
  console.log(
    `with --metrics (scraped every 100 ms): p50 ${fmt(m.p50)} ms, p99 ${
      fmt(m.p99)
    } ms, ${m.perSec.toFixed(0)} sig/s`,
  );
  console.log(
    `overhead: p50 ${overhead.toFixed(1)} %, throughput ${
      ((1 - m.perSec / p.perSec) * 100).toFixed(1)
    } %`,
  );
  if (STRICT && overhead >= 5) {
    console.log("target missed: metrics add 5 % or more at p50");
    Deno.exitCode = 1;
  }
} finally {
  scraping = false;
  await scraper;
  await plain.stop();
  await withMetrics.stop();
  await s.cleanup();
  await s2.cleanup();
}
