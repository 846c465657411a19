/**
 * What systemd hears from the daemon (`Type=notify`, `WatchdogSec=`):
 * `READY=1`; `WATCHDOG=1` every half period while the rules Worker answers,
 * and none while a rule holds it; `STATUS=sealing for 0x…, last block N`
 * after a seal; `RELOADING=1` then `READY=1` around a SIGHUP reload;
 * `STOPPING=1` at the end.
 */
import { ok } from "node:assert/strict";
import { join } from "node:path";
import {
  cliqueHeader,
  cliqueRlp,
  hexOfText,
  IpcClient,
  setupSigner,
  sleep,
} from "./_daemon.ts";
import { startDaemon } from "./_daemon.ts";

const RULES = `
function ApproveListing() { return "Approve" }
function ApproveSignData(r) {
  if (r.content_type == "application/x-clique-header") return "Approve"
  var t = Date.now(); while (Date.now() - t < 8000) {}
  return "Reject"
}
`;

Deno.test({
  name:
    "sd_notify: READY, WATCHDOG beats that stop while a rule holds the Worker, STATUS after a seal, RELOADING around SIGHUP, STOPPING",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesSource: RULES });
    const path = join(s.dirs.root, "notify");
    const rx = Deno.listenDatagram({ transport: "unixpacket", path });
    const got: { at: number; msg: string }[] = [];
    const dec = new TextDecoder();
    const receiving = (async () => {
      try {
        for (;;) {
          const [data] = await rx.receive();
          got.push({ at: performance.now(), msg: dec.decode(data) });
        }
      } catch { /* closed */ }
    })();
    const waitFor = async (what: (m: string) => boolean, after = 0) => {
      for (let i = 0; i < 600; i++) {
        if (got.some((g) => g.at >= after && what(g.msg))) return;
        await sleep(100);
      }
      throw new Error(`no ${what} in ${JSON.stringify(got.map((g) => g.msg))}`);
    };
    const d = await startDaemon(s, {
      env: { NOTIFY_SOCKET: path, WATCHDOG_USEC: "1000000" },
      extraFlags: ["--rules-timeout", "30s"],
    });
    try {
      await waitFor((m) => m === "READY=1");
      await waitFor((m) => m === "WATCHDOG=1");
      const c = await IpcClient.connect(d.ipcPath);
      try {
        await c.call("account_signData", [
          "application/x-clique-header",
          s.address,
          cliqueRlp(cliqueHeader(41n)),
        ]);
        await waitFor((m) =>
          m === `STATUS=sealing for ${s.address}, last block 41`
        );
        // A rule holding the Worker for 8 s: the beats stop, then resume.
        const start = performance.now();
        const held = c.call("account_signData", [
          "text/plain",
          s.address,
          hexOfText("hold"),
        ]).catch(() => {});
        await sleep(500);
        const heldFrom = performance.now();
        await held;
        const heldTo = performance.now();
        const beatsWhileHeld = got.filter((g) =>
          g.msg === "WATCHDOG=1" && g.at > heldFrom + 3500 &&
          g.at < heldTo - 500
        );
        ok(
          heldTo - start < 5000 || beatsWhileHeld.length === 0,
          `watchdog beats while the rule held the Worker: ${beatsWhileHeld.length}`,
        );
        ok(
          d.stderrText().includes("Watchdog: not sending WATCHDOG=1"),
          d.stderrText(),
        );
        await waitFor((m) => m === "WATCHDOG=1", heldTo);
      } finally {
        c.close();
      }
      const hup = performance.now();
      Deno.kill(await d.daemonPid(), "SIGHUP");
      await waitFor((m) => m === "RELOADING=1", hup);
      await waitFor(
        (m) => m === "READY=1",
        got.find((g) => g.at >= hup && g.msg === "RELOADING=1")!.at,
      );
    } finally {
      await d.stop();
      await sleep(200);
      rx.close();
      await receiving;
      await s.cleanup();
    }
    ok(got.some((g) => g.msg === "STOPPING=1"), JSON.stringify(got));
  },
});
