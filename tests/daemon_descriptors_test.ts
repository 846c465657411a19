/**
 * Issue 7, findings 3 and 4: when the daemon runs out of file descriptors
 * (its soft `RLIMIT_NOFILE` lowered with `prlimit --pid`, on the daemon
 * process only), a failed `accept` is logged and retried; the daemon does
 * not exit and both endpoints answer again once descriptors are free.
 */
import { ok, strictEqual } from "node:assert/strict";
import {
  httpPost,
  IpcClient,
  setupSigner,
  type SignerSetup,
  sleep,
  startDaemon,
} from "./_daemon.ts";

const VERSION_CALL = '{"jsonrpc":"2.0","id":1,"method":"account_version"}';
// Clef's HTTP answers end in a newline (Go's json.Encoder).
const VERSION_ANSWER = '{"jsonrpc":"2.0","id":1,"result":"6.1.0"}\n';

/** Fails instead of hanging when `p` does not settle within `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        t = setTimeout(() => reject(new Error(`hang: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(t);
  }
}

/** Waits until `cond()` holds, or fails after `ms`. */
async function until(
  cond: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await sleep(50);
  }
}

async function openFds(pid: number): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) n++;
  return n;
}

/** Lowers the soft descriptor limit of `pid` (hard limit unchanged). */
async function lowerNofile(pid: number, soft: number): Promise<void> {
  const out = await new Deno.Command("prlimit", {
    args: ["--pid", String(pid), `--nofile=${soft}:`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`prlimit failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function ipcVersion(path: string): Promise<string> {
  const c = await IpcClient.connect(path);
  try {
    return await c.call("account_version") as string;
  } finally {
    c.close();
  }
}

async function withDaemon(
  fn: (
    d: Awaited<ReturnType<typeof startDaemon>>,
    s: SignerSetup,
  ) => Promise<void>,
) {
  const s = await setupSigner({ vault: false });
  const d = await startDaemon(s, { http: true, rules: null });
  try {
    await fn(d, s);
  } finally {
    await d.stop();
    await s.cleanup();
  }
}

Deno.test({
  name: "daemon: HTTP survives descriptor exhaustion and answers again",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withDaemon(async (d) => {
      const pid = await d.daemonPid();
      await lowerNofile(pid, (await openFds(pid)) + 12);
      const url = new URL(d.httpUrl!);
      const flood: Deno.Conn[] = [];
      for (let i = 0; i < 40; i++) {
        flood.push(
          await Deno.connect({ hostname: url.hostname, port: +url.port }),
        );
      }
      await until(
        () => d.stderrText().includes("HTTP: accept failed"),
        20_000,
        "the accept failure is logged",
      );
      let exited = false;
      d.status.then(() => exited = true);
      await sleep(500);
      strictEqual(exited, false, `daemon exited:\n${d.stderrText()}`);
      for (const c of flood) c.close();
      const r = await within(
        (async () => {
          for (;;) {
            try {
              return await httpPost(d.httpUrl!, VERSION_CALL);
            } catch {
              await sleep(100);
            }
          }
        })(),
        20_000,
        "HTTP answers again",
      );
      strictEqual(r.text, VERSION_ANSWER);
      strictEqual(await within(ipcVersion(d.ipcPath), 20_000, "IPC"), "6.1.0");
      strictEqual(exited, false);
    });
  },
});

Deno.test({
  name: "daemon: IPC logs a failed accept, retries, and answers again",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withDaemon(async (d) => {
      const pid = await d.daemonPid();
      await lowerNofile(pid, (await openFds(pid)) + 12);
      const flood: Deno.UnixConn[] = [];
      for (let i = 0; i < 40; i++) {
        flood.push(await Deno.connect({ transport: "unix", path: d.ipcPath }));
      }
      await until(
        () => d.stderrText().includes("IPC: accept failed"),
        20_000,
        `the accept failure is logged:\n${d.stderrText()}`,
      );
      for (const c of flood) c.close();
      strictEqual(
        await within(ipcVersion(d.ipcPath), 20_000, "IPC answers again"),
        "6.1.0",
      );
      await until(
        () => d.stderrText().includes("IPC: accepting connections again"),
        20_000,
        "the recovery is logged",
      );
      ok(!d.stderrText().includes("Uncaught"), d.stderrText());
    });
  },
});
