/**
 * Signing benchmark of the daemon: Clique `account_signData` over IPC, as
 * geth sends it, against the real daemon (`deno task --quiet stave`) with
 * the guide's Clique-only rule attested and the key password stored (so the
 * key cache applies). Measures 1 and 4 client connections: p50, p99,
 * signatures per second, the daemon's RSS (VmRSS sampled during the run,
 * VmHWM peak), and, in the same run, one standard scrypt derivation
 * (N=262144, r=8, p=1: what Clef pays per signature) and its ratio to the
 * p50 signature latency.
 *
 * In the same run, when the pinned Clef is built (`make interop`), one
 * stream of Clique headers goes through real Clef and through stave side by
 * side (IPC, rules/clique_only.js, stored password, the same standard-scrypt
 * key file): p50, p99 and signatures/s of each and their ratio.
 *
 * Run: `deno run -A bench/sign.ts [--requests=N] [--clef-requests=N]
 * [--standard-kdf] [--strict]` (see bench/README.md). `--strict` exits 1
 * when a target is missed.
 *
 * @module
 */
import {
  scrypt,
  SCRYPT_DKLEN,
  SCRYPT_R,
  STANDARD_SCRYPT_N,
  STANDARD_SCRYPT_P,
} from "../src/keystore/kdf.ts";
import {
  cliqueHeader,
  cliqueRlp,
  type Daemon,
  GUIDE_RULES,
  IpcClient,
  quantile,
  recoverCliqueSigner,
  setupSigner,
  sleep,
  startDaemon,
} from "../tests/_daemon.ts";
import { join } from "node:path";
import {
  copyTree,
  haveClef,
  importKey,
  makeConfig,
  type Program,
  RAW_KEY_ADDRESS,
  RAW_KEY_HEX,
  requireClef,
  type SignerProcess,
  startSigner,
} from "../tests/interop/_clef.ts";

const arg = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const REQUESTS = Number(arg("requests") ?? 2000);
const STANDARD_KDF = Deno.args.includes("--standard-kdf");
const STRICT = Deno.args.includes("--strict");
const CLEF_REQUESTS = Number(arg("clef-requests") ?? 40);

const TARGET = {
  p50Ms: 1,
  p99Ms: 3,
  sigsPerSec4: 1500,
  rssMiB: 100,
};

interface PhaseResult {
  what: string;
  clients: number;
  requests: number;
  p50: number;
  p99: number;
  max: number;
  perSec: number;
  rssMaxMiB: number;
  rssEndMiB: number;
}

/** Samples the daemon's VmRSS every 50 ms until stopped. */
function rssSampler(d: Daemon) {
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        max = Math.max(max, (await d.memory()).rssKiB);
      } catch {
        // process gone
      }
      await sleep(50);
    }
  })();
  return async () => {
    running = false;
    await loop;
    return max / 1024;
  };
}

async function phase(
  d: Daemon,
  address: string,
  clients: number,
  requests: number,
  firstHeight: number,
  method: "account_signData" | "account_version" = "account_signData",
): Promise<PhaseResult> {
  const conns = await Promise.all(
    Array.from({ length: clients }, () => IpcClient.connect(d.ipcPath)),
  );
  const perClient = Math.ceil(requests / clients);
  const headers = Array.from(
    { length: clients * perClient },
    (_, i) => cliqueHeader(firstHeight + i),
  );
  const payloads = headers.map(cliqueRlp);
  const latencies: number[] = [];
  const seals: string[] = new Array(headers.length);
  const stopSampler = rssSampler(d);
  const t0 = performance.now();
  await Promise.all(conns.map(async (c, ci) => {
    for (let k = 0; k < perClient; k++) {
      const i = ci * perClient + k;
      const ts = performance.now();
      seals[i] = method === "account_version"
        ? await c.call<string>(method)
        : await c.call<string>(method, [
          "application/x-clique-header",
          address,
          payloads[i],
        ]);
      latencies.push(performance.now() - ts);
    }
  }));
  const wall = performance.now() - t0;
  const rssMaxMiB = await stopSampler();
  for (const c of conns) c.close();
  // Verify a sample of the seals outside the timed part.
  for (let i = 0; method !== "account_version" && i < seals.length; i += 25) {
    if (recoverCliqueSigner(headers[i], seals[i]) !== address) {
      throw new Error(`seal ${i} does not recover to ${address}`);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    what: method === "account_version" ? "version" : "clique",
    clients,
    requests: latencies.length,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies[latencies.length - 1],
    perSec: latencies.length / (wall / 1000),
    rssMaxMiB,
    rssEndMiB: (await d.memory()).rssKiB / 1024,
  };
}

async function standardScryptMs(): Promise<number> {
  const e = new TextEncoder();
  const params = {
    N: STANDARD_SCRYPT_N,
    r: SCRYPT_R,
    p: STANDARD_SCRYPT_P,
    dkLen: SCRYPT_DKLEN,
  };
  await scrypt(e.encode("warm"), e.encode("up"), { ...params, N: 16 });
  const t = performance.now();
  await scrypt(e.encode("stave benchmark password"), e.encode("salt"), params);
  return performance.now() - t;
}

function mark(ok: boolean): string {
  return ok ? "ok" : "MISSED";
}

interface StreamResult {
  p50: number;
  p99: number;
  perSec: number;
  requests: number;
}

/** One sequential stream of Clique headers on one IPC connection. */
async function cliqueStream(
  ipcPath: string,
  address: string,
  firstHeight: number,
  count: number,
): Promise<StreamResult> {
  const c = await IpcClient.connect(ipcPath);
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const h = cliqueHeader(firstHeight + i);
    const ts = performance.now();
    const seal = await c.call<string>("account_signData", [
      "application/x-clique-header",
      address,
      cliqueRlp(h),
    ]);
    lat.push(performance.now() - ts);
    if (recoverCliqueSigner(h, seal) !== address) {
      throw new Error(`seal at ${firstHeight + i} does not recover`);
    }
  }
  const wall = performance.now() - t0;
  c.close();
  lat.sort((a, b) => a - b);
  return {
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    perSec: lat.length / (wall / 1000),
    requests: lat.length,
  };
}

/**
 * Clef and stave side by side: each with its own config folder (its own
 * `init`, `setpw`, `attest rules/clique_only.js`) and a copy of one
 * standard-scrypt key file made by Clef's `importraw`; one warm-up
 * signature each, then the same stream of headers through each in turn.
 */
async function clefSideBySide(count: number): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "stave-bench-clef-" });
  const home = join(root, "home");
  await Deno.mkdir(home);
  const rules = GUIDE_RULES.cliqueOnly;
  const procs: SignerProcess[] = [];
  try {
    const ks = join(root, "keystore");
    await importKey("clef", ks, RAW_KEY_HEX, home, false);
    const res: Partial<Record<Program, StreamResult>> = {};
    for (const p of ["clef", "stave"] as const) {
      const dir = join(root, p);
      await Deno.mkdir(dir);
      const pks = join(dir, "keystore");
      await copyTree(ks, pks);
      await makeConfig(
        p,
        join(dir, "config"),
        [RAW_KEY_ADDRESS],
        await Deno.readTextFile(rules),
        home,
      );
      const d = await startSigner(p, {
        configdir: join(dir, "config"),
        keystore: pks,
        rules,
        stateDir: dir,
        home,
      });
      procs.push(d);
      await cliqueStream(d.ipcPath, RAW_KEY_ADDRESS, 5_000_000, 1);
      res[p] = await cliqueStream(d.ipcPath, RAW_KEY_ADDRESS, 1, count);
      await d.stop();
    }
    const f = (n: number, d = 2) => n.toFixed(d);
    const c = res.clef!;
    const st = res.stave!;
    console.log("");
    console.log(
      `Clef side by side: ${count} Clique account_signData over IPC, 1 client, rules/clique_only.js, ` +
        `stored password, one standard-scrypt key file (made by Clef importraw)`,
    );
    const rows = [
      ["signer", "requests", "p50 ms", "p99 ms", "signatures/s"],
      [
        `clef ${requireClefVersion()}`,
        String(c.requests),
        f(c.p50, 3),
        f(c.p99, 3),
        f(c.perSec, 1),
      ],
      [
        "stave",
        String(st.requests),
        f(st.p50, 3),
        f(st.p99, 3),
        f(st.perSec, 1),
      ],
    ];
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) {
      console.log(r.map((x, i) => x.padStart(w[i])).join("  "));
    }
    console.log(
      `ratio stave / Clef: signatures/s ${f(st.perSec / c.perSec, 0)}×, ` +
        `p50 Clef / stave ${f(c.p50 / st.p50, 0)}×, p99 Clef / stave ${
          f(c.p99 / st.p99, 0)
        }×`,
    );
  } finally {
    for (const d of procs) await d.stop().catch(() => {});
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

function requireClefVersion(): string {
  return requireClef().split("/").at(-2)!.replace(/^clef-/, "");
}

const setup = await setupSigner({
  rulesPath: GUIDE_RULES.cliqueOnly,
  lightkdf: !STANDARD_KDF,
});
let daemon: Daemon | undefined;
let missed = 0;
try {
  daemon = await startDaemon(setup, { stdin: "null", lightkdf: !STANDARD_KDF });
  const idleMiB = (await daemon.memory()).rssKiB / 1024;
  // Warm-up: first use decrypts the key into the cache; JIT the paths.
  await phase(daemon, setup.address, 1, 200, 1_000_000);
  const one = await phase(daemon, setup.address, 1, REQUESTS, 1);
  const four = await phase(daemon, setup.address, 4, REQUESTS, 100_000);
  // Transport baseline (no rules, no signing): what IPC + JSON-RPC cost.
  const transport = await phase(
    daemon,
    setup.address,
    1,
    REQUESTS,
    0,
    "account_version",
  );
  await sleep(1000);
  const mem = await daemon.memory();
  const scryptMs = await standardScryptMs();

  const f = (n: number, d = 2) => n.toFixed(d);
  const rows = [
    [
      "request",
      "clients",
      "requests",
      "p50 ms",
      "p99 ms",
      "max ms",
      "req/s",
      "RSS max MiB",
      "RSS end MiB",
    ],
    ...[one, four, transport].map((r) => [
      r.what,
      String(r.clients),
      String(r.requests),
      f(r.p50, 3),
      f(r.p99, 3),
      f(r.max, 1),
      f(r.perSec, 0),
      f(r.rssMaxMiB, 1),
      f(r.rssEndMiB, 1),
    ]),
  ];
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
  console.log(
    `stave signing benchmark: Clique account_signData over IPC, rules/clique_only.js, ` +
      `stored password + key cache, ${
        STANDARD_KDF ? "standard" : "light"
      } KDF files`,
  );
  console.log("");
  for (const r of rows) {
    console.log(r.map((c, i) => c.padStart(widths[i])).join("  "));
  }
  console.log("");
  const peakMiB = mem.hwmKiB / 1024;
  const steadyMiB = mem.rssKiB / 1024;
  const checks: [string, string, boolean][] = [
    [
      `p50 (1 client) ≤ ${TARGET.p50Ms} ms`,
      `${f(one.p50, 3)} ms`,
      one.p50 <= TARGET.p50Ms,
    ],
    [
      `p99 (1 client) ≤ ${TARGET.p99Ms} ms`,
      `${f(one.p99, 3)} ms`,
      one.p99 <= TARGET.p99Ms,
    ],
    [
      `signatures/s (4 clients) ≥ ${TARGET.sigsPerSec4}`,
      f(four.perSec, 0),
      four.perSec >= TARGET.sigsPerSec4,
    ],
    [
      `RSS steady state ≤ ${TARGET.rssMiB} MiB`,
      `${f(steadyMiB, 1)} MiB (idle at start ${f(idleMiB, 1)}, peak VmHWM ${
        f(peakMiB, 1)
      })`,
      steadyMiB <= TARGET.rssMiB,
    ],
  ];
  const cw = Math.max(...checks.map((c) => c[0].length));
  const vw = Math.max(...checks.map((c) => c[1].length));
  for (const [name, value, ok] of checks) {
    if (!ok) missed++;
    console.log(`${name.padEnd(cw)}  ${value.padEnd(vw)}  ${mark(ok)}`);
  }
  console.log("");
  console.log(
    `one standard scrypt (N=${STANDARD_SCRYPT_N}, r=${SCRYPT_R}, p=${STANDARD_SCRYPT_P}), ` +
      `what Clef pays per signature: ${f(scryptMs, 0)} ms`,
  );
  console.log(
    `ratio scrypt / p50 signature (1 client): ${f(scryptMs / one.p50, 0)}×`,
  );
} finally {
  if (daemon) {
    const st = await daemon.stop();
    if (st.code !== 0) {
      console.error(`daemon exited ${st.code}\n${daemon.stderrText()}`);
    }
  }
  await setup.cleanup();
}
if (CLEF_REQUESTS > 0) {
  if (haveClef()) await clefSideBySide(CLEF_REQUESTS);
  else {
    let why = "";
    try {
      requireClef();
    } catch (e) {
      why = (e as Error).message;
    }
    console.log("");
    console.log(`Clef side by side: skipped (${why})`);
  }
}
if (STRICT && missed > 0) Deno.exit(1);
