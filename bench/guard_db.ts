/**
 * Per-seal cost of `--guard-db` next to the local vault: Clique
 * `account_signData` over IPC against the real daemon, with a rule that
 * approves every Clique header and keeps the highest number in `storage`
 * (a read per seal, a write per new height), in three
 * configurations run one after the other on one set-up:
 *
 * 1. no `--clique-guard` (rule storage in `jsstorage.json`);
 * 2. `--clique-guard`, guard and storage in the vault (flock + fsync'd
 *    file rewrites);
 * 3. `--clique-guard --guard-db` (one transaction with a row lock per seal,
 *    plus the storage read and upsert, each committed with
 *    `synchronous_commit = on`) on a fresh database of the server at
 *    `STAVE_TEST_PG` (default 127.0.0.1:5432, dropped afterwards).
 *
 * Phases of 1 and of 4 clients; with 4, every height's header is asked
 * for by all 4 at once.
 *
 * Run: `deno task bench:guard-db [--requests=N]` (default 500 per phase).
 *
 * @module
 */
import {
  cliqueHeader,
  cliqueRlp,
  type Daemon,
  IpcClient,
  quantile,
  recoverCliqueSigner,
  setupSigner,
  startDaemon,
} from "../tests/_daemon.ts";
import { createTestDb, PG_SKIP } from "../tests/_pg.ts";
import { GUARD_ONLY_RULES } from "../tests/_pg_ha.ts";

const arg = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const REQUESTS = Number(arg("requests") ?? 500);

interface Row {
  what: string;
  clients: number;
  p50: number;
  p99: number;
  mean: number;
  perSec: number;
}

async function phase(
  d: Daemon,
  address: string,
  clients: number,
  requests: number,
  firstHeight: number,
): Promise<Omit<Row, "what">> {
  const conns = await Promise.all(
    Array.from({ length: clients }, () => IpcClient.connect(d.ipcPath)),
  );
  const latencies: number[] = [];
  const t0 = performance.now();
  // One header per height, asked for by every client at once (geth's
  // re-seal after a recommit, or several sealing clients): the first is
  // recorded, the others find it and are signed again (the same header).
  for (let n = firstHeight; latencies.length < requests; n++) {
    const h = cliqueHeader(n);
    const rlp = cliqueRlp(h);
    await Promise.all(conns.map(async (c) => {
      const ts = performance.now();
      const seal = await c.call<string>("account_signData", [
        "application/x-clique-header",
        address,
        rlp,
      ]).catch((err) => {
        throw new Error(`${err.message}\n${d.stderrText()}`);
      });
      latencies.push(performance.now() - ts);
      if (n % 50 === 0 && recoverCliqueSigner(h, seal) !== address) {
        throw new Error("seal does not recover to the account");
      }
    }));
  }
  const wall = performance.now() - t0;
  for (const c of conns) c.close();
  latencies.sort((a, b) => a - b);
  return {
    clients,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    perSec: latencies.length / (wall / 1000),
  };
}

if (PG_SKIP !== undefined) {
  console.error(PG_SKIP);
  Deno.exit(1);
}
const db = await createTestDb();
const setup = await setupSigner({ rulesSource: GUARD_ONLY_RULES });
const rows: Row[] = [];
let height = 1;
try {
  const configs: [string, string[]][] = [
    ["no guard (vault storage)", []],
    ["guard + storage in vault", ["--clique-guard"]],
    ["guard + storage in db", ["--clique-guard", "--guard-db", db.url]],
  ];
  for (const [what, flags] of configs) {
    const d = await startDaemon(setup, { stdin: "null", extraFlags: flags });
    try {
      await phase(d, setup.address, 1, 100, height); // warm-up
      height += 1000;
      for (const clients of [1, 4]) {
        rows.push({
          what,
          ...await phase(d, setup.address, clients, REQUESTS, height),
        });
        height += REQUESTS + 1000;
      }
    } finally {
      await d.stop();
    }
  }
} finally {
  await setup.cleanup();
  await db.drop();
}
const f = (n: number, d = 2) => n.toFixed(d);
const table = [
  ["configuration", "clients", "p50 ms", "p99 ms", "mean ms", "seals/s"],
  ...rows.map((r) => [
    r.what,
    String(r.clients),
    f(r.p50),
    f(r.p99),
    f(r.mean),
    f(r.perSec, 0),
  ]),
];
const widths = table[0].map((_, i) =>
  Math.max(...table.map((r) => r[i].length))
);
console.log(
  `stave guard-db benchmark: Clique account_signData over IPC, a rule that approves Clique headers and keeps lastblock in storage, ${REQUESTS} seals per phase`,
);
for (const r of table) {
  console.log(
    r.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))
      .join("  "),
  );
}
const base = rows.find((r) => r.what.includes("vault") && r.clients === 1)!;
const pg = rows.find((r) => r.what.includes("db") && r.clients === 1)!;
console.log(
  `per-seal cost of the database over the vault guard (1 client, p50): ${
    f(pg.p50 - base.p50)
  } ms (${f(pg.p50 / base.p50)}×)`,
);
