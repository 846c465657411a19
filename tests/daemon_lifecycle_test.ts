/**
 * Daemon issue: manual mode with stdin at end of input (no vault, no
 * rules) denies at once instead of dying; SIGTERM shuts down cleanly
 * (exit 0, socket removed); a second daemon on a live socket is refused
 * (exit 78, EX_CONFIG); a stale socket left by kill -9 is replaced on restart.
 */
import { EXIT_CONFIG } from "../src/errors.ts";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  hexOfText,
  IpcClient,
  RAW_KEY_ADDRESS,
  setupSigner,
  sleep,
  socketAnswers,
  startDaemon,
} from "./_daemon.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "daemon in manual mode with stdin at EOF: denies at once, SIGTERM, live and stale sockets",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await setupSigner({ vault: false });
    // A daemon that waited for input instead of denying at EOF would deny
    // only when this timeout fires, and log that it did.
    let d = await startDaemon(s, {
      stdin: "null",
      extraFlags: ["--approval-timeout", "20s"],
    });
    try {
      await t.step(
        "account_signData text → 'request denied' at EOF (not by the approval timeout), daemon keeps serving",
        async () => {
          const c = await IpcClient.connect(d.ipcPath);
          strictEqual(await c.call("account_version"), "6.1.0");
          for (let i = 0; i < 3; i++) {
            const r = await c.request("account_signData", [
              "text/plain",
              RAW_KEY_ADDRESS,
              hexOfText(`please sign ${i}`),
            ]);
            deepStrictEqual(r.error, {
              code: -32000,
              message: "request denied",
            });
          }
          ok(
            !d.stderrText().includes("Approval timed out"),
            `denied by the approval timeout, not at EOF:\n${d.stderrText()}`,
          );
          const l = await c.request("account_list");
          deepStrictEqual(l.error, { code: -32000, message: "request denied" });
          strictEqual(await c.call("account_version"), "6.1.0");
          c.close();
          strictEqual(d.process.pid > 0, true);
        },
      );

      await t.step(
        "a second daemon on the same live socket exits 1; the first keeps serving",
        async () => {
          const second = await startDaemon(s, { stdin: "null", wait: false });
          const st = await Promise.race([
            second.status,
            sleep(30_000).then(() => null),
          ]);
          if (st === null) await second.kill9();
          ok(st, "second daemon still running after 30 s");
          strictEqual(
            st.code,
            EXIT_CONFIG,
            `second daemon\n${second.stderrText()}`,
          );
          ok(second.stderrText().trim().length > 0, "no message on stderr");
          const c = await IpcClient.connect(d.ipcPath);
          strictEqual(await c.call("account_version"), "6.1.0");
          c.close();
        },
      );

      await t.step(
        "SIGTERM → exit 0 and the socket file is removed",
        async () => {
          const st = await d.stop("SIGTERM");
          strictEqual(st.code, 0, d.stderrText());
          strictEqual(
            await exists(d.ipcPath),
            false,
            "socket file left behind",
          );
        },
      );

      await t.step(
        "SIGINT → exit 0 and the socket file is removed",
        async () => {
          d = await startDaemon(s, { stdin: "null" });
          const st = await d.stop("SIGINT");
          strictEqual(st.code, 0, d.stderrText());
          strictEqual(
            await exists(d.ipcPath),
            false,
            "socket file left behind",
          );
        },
      );

      await t.step(
        "kill -9 leaves a stale socket; a restart replaces it",
        async () => {
          d = await startDaemon(s, { stdin: "null" });
          await d.kill9();
          ok(
            await exists(d.ipcPath),
            "kill -9 removed the socket (test premise)",
          );
          strictEqual(await socketAnswers(d.ipcPath), false);
          d = await startDaemon(s, { stdin: "null" });
          const c = await IpcClient.connect(d.ipcPath);
          strictEqual(await c.call("account_version"), "6.1.0");
          c.close();
          const mode = (await Deno.stat(d.ipcPath)).mode! & 0o777;
          strictEqual(mode, 0o600, `socket mode ${mode.toString(8)}`);
        },
      );
    } finally {
      await d.stop();
      await s.cleanup();
    }
  },
});

Deno.test({
  name:
    "SIGTERM while a request waits at the prompt: the request is answered first, then exit 0",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ vault: false });
    const d = await startDaemon(s, {
      stdin: "pipe",
      extraFlags: ["--approval-timeout", "2s"],
    });
    try {
      const c = await IpcClient.connect(d.ipcPath);
      const pending = c.request("account_signData", [
        "text/plain",
        RAW_KEY_ADDRESS,
        hexOfText("waiting"),
      ]);
      await sleep(300);
      const st = await d.stop("SIGTERM");
      strictEqual(st.code, 0, d.stderrText());
      deepStrictEqual((await pending).error, {
        code: -32000,
        message: "request denied",
      });
      strictEqual(await exists(d.ipcPath), false);
      c.close();
    } finally {
      await d.kill9();
      await s.cleanup();
    }
  },
});

Deno.test({
  name:
    "SIGTERM while a prompt would outlast the shutdown grace: exit 0 within 15 s",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ vault: false });
    // Default --approval-timeout (60 s) is longer than the 10 s grace.
    const d = await startDaemon(s, { stdin: "pipe" });
    try {
      const c = await IpcClient.connect(d.ipcPath);
      c.request("account_signData", [
        "text/plain",
        RAW_KEY_ADDRESS,
        hexOfText("nobody answers"),
      ]);
      await sleep(300);
      const t0 = performance.now();
      Deno.kill(await d.daemonPid(), "SIGTERM");
      const st = await Promise.race([d.status, sleep(30_000).then(() => null)]);
      const secs = (performance.now() - t0) / 1000;
      ok(
        st,
        `still running ${secs.toFixed(1)} s after SIGTERM\n${d.stderrText()}`,
      );
      strictEqual(st.code, 0, d.stderrText());
      strictEqual(await exists(d.ipcPath), false);
      c.close();
    } finally {
      await d.kill9();
      await s.cleanup();
    }
  },
});
