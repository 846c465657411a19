/**
 * Observability as an operator uses it: `--metrics` serves Prometheus text
 * whose counters and histograms move with approved, rejected and guarded
 * requests, `/health` answers 200 and turns 503 naming the rules Worker
 * while a rule holds it, and `--log.format json` writes one JSON record per
 * stderr line with no secret in any of them.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  cliqueHeader,
  cliqueRlp,
  freePort,
  hexOfText,
  IpcClient,
  KEY_PASSWORD,
  MASTER_PASSWORD,
  setupSigner,
  sleep,
  startDaemon,
} from "./_daemon.ts";

/** `name{labels} value` lines of the exposition, by their full series. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const RULES = `
function ApproveListing() { return "Approve" }
function ApproveSignData(r) {
  if (r.content_type == "application/x-clique-header") return "Approve"
  if (r.content_type == "text/plain") {
    var t = Date.now(); while (Date.now() - t < 12000) {}
  }
  return "Reject"
}
`;

Deno.test({
  name:
    "--metrics: counters and histograms follow approved, rejected and guarded requests; /health goes 503 while the rules Worker is held",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setupSigner({ rulesSource: RULES });
    const port = freePort();
    const d = await startDaemon(s, {
      extraFlags: [
        "--clique-guard",
        "--metrics",
        "--metrics.addr",
        "127.0.0.1",
        "--metrics.port",
        String(port),
        "--rules-timeout",
        "30s",
        "--log.format",
        "json",
      ],
    });
    const base = `http://127.0.0.1:${port}`;
    const scrape = async () => {
      const res = await fetch(`${base}/metrics`);
      strictEqual(res.status, 200);
      strictEqual(
        res.headers.get("content-type"),
        "text/plain; version=0.0.4; charset=utf-8",
      );
      return samples(await res.text());
    };
    try {
      const health = await fetch(`${base}/health`);
      strictEqual(health.status, 200);
      deepStrictEqual(await health.json(), {
        status: "ok",
        parts: {
          vault: { ok: true },
          rules: { ok: true },
          guard: { ok: true },
          endpoints: { ok: true },
        },
      });
      const geth = await fetch(`${base}/debug/metrics/prometheus`);
      strictEqual(geth.status, 200);
      await geth.body?.cancel();

      const c = await IpcClient.connect(d.ipcPath);
      try {
        for (let n = 1n; n <= 3n; n++) {
          await c.call("account_signData", [
            "application/x-clique-header",
            s.address,
            cliqueRlp(cliqueHeader(n)),
          ]);
        }
        await c.call("account_signData", [
          "application/x-clique-header",
          s.address,
          cliqueRlp(cliqueHeader(3n, { time: 5n })),
        ]).catch(() => {});
        await c.call("account_signData", [
          "application/json",
          s.address,
          hexOfText("{}"),
        ]).catch(() => {});
        const open = await scrape();
        ok((open.get('stave_connections{transport="ipc"}') ?? 0) >= 1);
      } finally {
        c.close();
      }
      // The daemon sees the close a moment later: wait for it (hangs only).
      for (let i = 0; i < 300; i++) {
        if ((await scrape()).get('stave_connections{transport="ipc"}') === 0) {
          break;
        }
        await sleep(100);
      }
      const m = await scrape();
      const sd = 'method="account_signData"';
      strictEqual(m.get(`stave_requests_total{${sd},outcome="approved"}`), 3);
      strictEqual(
        m.get(`stave_requests_total{${sd},outcome="refused_by_guard"}`),
        1,
      );
      strictEqual(
        m.get(`stave_requests_total{${sd},outcome="rejected_by_rule"}`),
        1,
      );
      strictEqual(m.get(`stave_request_duration_seconds_count{${sd}}`), 5);
      strictEqual(
        m.get(`stave_request_duration_seconds_bucket{${sd},le="+Inf"}`),
        5,
      );
      strictEqual(
        m.get(`stave_clique_last_sealed_block{account="${s.address}"}`),
        3,
      );
      strictEqual(
        m.get('stave_rule_call_duration_seconds_count{hook="ApproveSignData"}'),
        5,
      );
      strictEqual(m.get("stave_key_unlocks_total"), 1);
      ok((m.get("stave_key_cache_hits_total") ?? 0) >= 2);
      strictEqual(m.get('stave_connections{transport="ipc"}'), 0);
      ok((m.get("process_start_time_seconds") ?? 0) > 1_700_000_000);
      ok(
        [...m.keys()].some((k) =>
          k.startsWith('stave_build_info{version="') &&
          k.includes('clef_version="1.17.4"')
        ),
      );

      // A rule that holds the Worker (12 s of a 30 s budget): /health names it.
      const c2 = await IpcClient.connect(d.ipcPath);
      const held = c2.call("account_signData", [
        "text/plain",
        s.address,
        hexOfText("hold"),
      ]).catch(() => {});
      try {
        let wedged: Response | undefined;
        for (let i = 0; i < 20 && wedged === undefined; i++) {
          const r = await fetch(`${base}/health`);
          if (r.status === 503) wedged = r;
          else await r.body?.cancel();
        }
        ok(wedged, "health never went 503 while the rule held the Worker");
        const body = await wedged.json();
        strictEqual(body.status, "unavailable");
        strictEqual(body.parts.rules.ok, false);
        strictEqual(body.parts.vault.ok, true);
      } finally {
        await held;
        c2.close();
      }
      let back = 0;
      for (let i = 0; i < 100 && back !== 200; i++) {
        const r = await fetch(`${base}/health`);
        back = r.status;
        await r.body?.cancel();
        if (back !== 200) await sleep(100);
      }
      strictEqual(back, 200, "health back to 200 once the rule ended");
    } finally {
      await d.stop();
      await s.cleanup();
    }
    // --log.format json: every stderr line is one JSON record; no secret.
    const lines = d.stderrText().split("\n").filter((l) => l !== "");
    ok(lines.length > 5, d.stderrText());
    for (const line of lines) {
      const rec = JSON.parse(line);
      ok(typeof rec.t === "string" && typeof rec.lvl === "string", line);
      ok(typeof rec.msg === "string", line);
    }
    const all = d.stderrText() + d.stdoutText();
    ok(!all.includes(MASTER_PASSWORD), "master password in the output");
    ok(!all.includes(KEY_PASSWORD), "key password in the output");
    ok(
      lines.some((l) => {
        const r = JSON.parse(l);
        return r.msg === "Op approved" && r.method === "account_signData" &&
          r.account === s.address && r.number === "1";
      }),
      "an Op approved record carries method, account and number",
    );
  },
});
