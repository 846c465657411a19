/**
 * Daemon issue: a rule cannot outlive its timeout or exhaust the daemon's
 * memory. A rule that throws a proxy whose traps loop and allocate (they
 * used to run outside every watchdog: the thread spun forever and the
 * daemon died of "Fatal JavaScript out of memory", leaving its socket) is
 * denied, the daemon's threads go back to idle, and the daemon keeps
 * serving rule calls and exits cleanly. One legal-looking `storage.put`
 * (a 13 MiB value, a 17 MiB key) cannot brick `jsstorage.json`, and no
 * error a caller gets names a vault path.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  cliqueHeader,
  cliqueRlp,
  IpcClient,
  recoverCliqueSigner,
  type RpcResponse,
  setupSigner,
  sleep,
  startDaemon,
} from "./_daemon.ts";

const TRAP_RULES = `
function ApproveListing(r) {
  var grab = function () { var a = []; for (;;) a.push(new Array(1e5).fill(1.5)) };
  throw new Proxy({}, { get: grab, getOwnPropertyDescriptor: grab, getPrototypeOf: grab });
}
function ApproveSignData(r) { return "Approve" }
`;

/** CPU ticks (1/100 s) of each thread of `pid`, from /proc. */
async function threadTicks(pid: number): Promise<Map<string, number>> {
  const ticks = new Map<string, number>();
  for await (const t of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const stat = await Deno.readTextFile(`/proc/${pid}/task/${t.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(`${t.name} ${name}`, Number(f[11]) + Number(f[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return ticks;
}

/** Threads of `pid` that used more than a tenth of a core over 2 s. */
async function busyThreads(pid: number): Promise<string[]> {
  await sleep(500);
  const before = await threadTicks(pid);
  await sleep(2000);
  const busy: string[] = [];
  for (const [thread, t] of await threadTicks(pid)) {
    const used = t - (before.get(thread) ?? t);
    if (used > 20) busy.push(`${thread}: ${used} ticks`);
  }
  return busy;
}

/** One request on a fresh connection, bounded (hangs only) by 60 s. */
async function one(
  ipcPath: string,
  method: string,
  params?: unknown[],
): Promise<RpcResponse> {
  const c = await IpcClient.connect(ipcPath);
  try {
    return await Promise.race([
      c.request(method, params),
      sleep(60_000).then(() => {
        throw new Error(`${method}: no answer in 60 s`);
      }),
    ]);
  } finally {
    c.close();
  }
}

Deno.test({
  name:
    "daemon: a rule whose thrown proxy loops and allocates is denied; the daemon stays idle and serving",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesSource: TRAP_RULES });
    // A smaller process heap makes the old failure (the whole daemon out of
    // memory) quick; the rule host has its own, smaller limit anyway.
    const d = await startDaemon(s, {
      env: { DENO_V8_FLAGS: "--max-old-space-size=512" },
    });
    try {
      for (let round = 0; round < 2; round++) {
        const listed = await one(d.ipcPath, "account_list");
        ok(
          listed.error !== undefined ||
            (Array.isArray(listed.result) && listed.result.length === 0),
          `listing not denied: ${JSON.stringify(listed)}`,
        );
        // the next rule call is served (by a new rule host)
        const h = cliqueHeader(BigInt(round + 1));
        const seal = await one(d.ipcPath, "account_signData", [
          "application/x-clique-header",
          s.address,
          cliqueRlp(h),
        ]);
        strictEqual(
          recoverCliqueSigner(h, seal.result as string),
          s.address,
          JSON.stringify(seal),
        );
      }
      deepStrictEqual(await busyThreads(await d.daemonPid()), []);
    } finally {
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});

const STORAGE_RULES = `
function ApproveSignData(r) {
  var n = r.messages[0].value.split(" ")[2];
  if (n === "1") {
    try { storage.put("big", "v".repeat(13 * 1024 * 1024)) } catch (e) { console.log("refused:", e.message) }
    try { storage.put("k".repeat(17 * 1024 * 1024), "v") } catch (e) { console.log("refused:", e.message) }
  }
  storage.put("last", n);
  return storage.get("last") === n ? "Approve" : "Reject";
}
`;

Deno.test({
  name:
    "daemon: oversized storage puts are refused to the rule; storage keeps working; no vault path reaches a caller",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesSource: STORAGE_RULES });
    const d = await startDaemon(s, { extraFlags: ["--rules-timeout", "30s"] });
    const answers: RpcResponse[] = [];
    try {
      for (let n = 1n; n <= 3n; n++) {
        const h = cliqueHeader(n);
        const seal = await one(d.ipcPath, "account_signData", [
          "application/x-clique-header",
          s.address,
          cliqueRlp(h),
        ]);
        answers.push(seal);
        ok(seal.error === undefined, `block ${n}: ${JSON.stringify(seal)}`);
        strictEqual(
          recoverCliqueSigner(h, seal.result as string),
          s.address,
          `block ${n}: ${JSON.stringify(seal)}`,
        );
      }
      const err = d.stderrText();
      ok(err.includes("JS:>  refused: storage: a value of"), err);
      ok(err.includes("JS:>  refused: storage: key exceeds 65536 bytes"), err);
      const file = await Deno.stat(
        `${s.configdir}/${await vaultName(s.configdir)}/jsstorage.json`,
      );
      ok(file.size < 1024, `jsstorage.json is ${file.size} bytes`);
      for (const a of answers) {
        ok(!JSON.stringify(a).includes(s.configdir), JSON.stringify(a));
      }
    } finally {
      const st = await d.stop();
      await s.cleanup();
      strictEqual(st.code, 0, d.stderrText());
    }
  },
});

/** The vault folder's name under the config dir (hex of the seed hash). */
async function vaultName(configdir: string): Promise<string> {
  for await (const e of Deno.readDir(configdir)) {
    if (e.isDirectory && /^[0-9a-f]{20}$/.test(e.name)) return e.name;
  }
  throw new Error(`no vault folder in ${configdir}`);
}
