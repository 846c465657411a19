import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  metricsHandler,
  PROMETHEUS_CONTENT_TYPE,
  startMetricsServer,
} from "./metrics_server.ts";

const render = () => "# TYPE x counter\nx 1\n";

Deno.test("metricsHandler() serves the exposition at geth's two paths", async () => {
  const h = metricsHandler({ render, health: () => Promise.resolve({}) });
  for (const path of ["/metrics", "/debug/metrics/prometheus"]) {
    const res = await h(new Request(`http://x${path}`));
    strictEqual(res.status, 200);
    strictEqual(res.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
    strictEqual(await res.text(), render());
  }
  strictEqual((await h(new Request("http://x/other"))).status, 404);
  const post = await h(new Request("http://x/metrics", { method: "POST" }));
  strictEqual(post.status, 405);
  await post.body?.cancel();
});

Deno.test("/health is 200 when every part is ok, 503 naming the part that is not", async () => {
  let rulesOk = true;
  const h = metricsHandler({
    render,
    health: () =>
      Promise.resolve({
        vault: { ok: true },
        rules: rulesOk
          ? { ok: true }
          : { ok: false, error: "rules worker does not answer" },
      }),
  });
  const ok = await h(new Request("http://x/health"));
  strictEqual(ok.status, 200);
  deepStrictEqual(await ok.json(), {
    status: "ok",
    parts: { vault: { ok: true }, rules: { ok: true } },
  });
  rulesOk = false;
  const bad = await h(new Request("http://x/health"));
  strictEqual(bad.status, 503);
  deepStrictEqual(await bad.json(), {
    status: "unavailable",
    parts: {
      vault: { ok: true },
      rules: { ok: false, error: "rules worker does not answer" },
    },
  });
  const thrown = await metricsHandler({
    render,
    health: () => Promise.reject(new Error("boom")),
  })(new Request("http://x/health"));
  strictEqual(thrown.status, 503);
  deepStrictEqual((await thrown.json()).parts, {
    daemon: { ok: false, error: "boom" },
  });
});

Deno.test("startMetricsServer() listens on its own port and refuses a taken one", async () => {
  const s = startMetricsServer({
    host: "127.0.0.1",
    port: 0,
    render,
    health: () => Promise.resolve({}),
  });
  try {
    const res = await fetch(`${s.url}metrics`);
    strictEqual(await res.text(), render());
    const port = Number(s.addr.split(":")[1]);
    let message = "";
    try {
      startMetricsServer({
        host: "127.0.0.1",
        port,
        render,
        health: () => Promise.resolve({}),
      });
    } catch (e) {
      message = (e as Error).message;
    }
    strictEqual(
      message,
      `listen tcp 127.0.0.1:${port}: bind: address already in use`,
    );
  } finally {
    await s.close();
  }
});
