/**
 * The metrics listener (`--metrics`, `--metrics.addr`, `--metrics.port`,
 * with geth's flag names and defaults): Prometheus text at `/metrics` and
 * at geth's `/debug/metrics/prometheus`, and `/health`. It is a listener of
 * its own, so an IPC-only sealer can be watched without `--http`; it
 * serves no JSON-RPC and no secrets.
 *
 * `/health` answers 200 with `{"status":"ok","parts":{…}}` while every part
 * (vault, rules engine, Clique guard, endpoints) is usable, and 503 with
 * the parts that are not, each with its reason.
 *
 * @module
 */

/** `--metrics.addr` default (geth's). */
export const DEFAULT_METRICS_HOST = "127.0.0.1";
/** `--metrics.port` default (geth's). */
export const DEFAULT_METRICS_PORT = 6060;
/** The exposition format's content type. */
export const PROMETHEUS_CONTENT_TYPE =
  "text/plain; version=0.0.4; charset=utf-8";

/** One part's state in a health report. */
export interface PartHealth {
  /** Whether the part can serve now. */
  ok: boolean;
  /** Why not (never a secret). */
  error?: string;
}

/** What `/health` reports. */
export interface HealthReport {
  /** `ok` when every part is. */
  status: "ok" | "unavailable";
  /** Each part by name. */
  parts: Record<string, PartHealth>;
}

/** Options of {@linkcode startMetricsServer}. */
export interface MetricsServerOptions {
  /** Listen host (default {@linkcode DEFAULT_METRICS_HOST}). */
  host?: string;
  /** Listen port (default {@linkcode DEFAULT_METRICS_PORT}; 0 picks one). */
  port?: number;
  /** The exposition text, built at each scrape. */
  render: () => string;
  /** Probes the daemon's parts. */
  health: () => Promise<Record<string, PartHealth>>;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** `host:port` as listened on. */
  readonly addr: string;
  /** `http://<addr>/`. */
  readonly url: string;
  /** Stops listening. */
  close(): Promise<void>;
}

/** How long `/health` waits for the probes before it says unavailable. */
export const HEALTH_PROBE_TIMEOUT_MS = 5_000;

/**
 * Combines part states into a report.
 *
 * @param parts Each part's state.
 * @returns The report (`unavailable` when any part is not ok).
 */
export function healthReport(parts: Record<string, PartHealth>): HealthReport {
  const ok = Object.values(parts).every((p) => p.ok);
  return { status: ok ? "ok" : "unavailable", parts };
}

async function probe(
  health: () => Promise<Record<string, PartHealth>>,
): Promise<HealthReport> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const parts = await Promise.race([
      health(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("health probe timed out")),
          HEALTH_PROBE_TIMEOUT_MS,
        );
      }),
    ]);
    return healthReport(parts);
  } catch (err) {
    return healthReport({
      daemon: {
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      },
    });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The request handler (exported for in-process tests).
 *
 * @param opts What to serve.
 * @returns A `Deno.serve` handler.
 */
export function metricsHandler(
  opts: Pick<MetricsServerOptions, "render" | "health">,
): (req: Request) => Promise<Response> {
  return async (req) => {
    const path = new URL(req.url).pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed\n", {
        status: 405,
        headers: { allow: "GET, HEAD" },
      });
    }
    if (path === "/metrics" || path === "/debug/metrics/prometheus") {
      return new Response(req.method === "HEAD" ? null : opts.render(), {
        headers: { "content-type": PROMETHEUS_CONTENT_TYPE },
      });
    }
    if (path === "/health") {
      const report = await probe(opts.health);
      return new Response(JSON.stringify(report) + "\n", {
        status: report.status === "ok" ? 200 : 503,
        headers: {
          "content-type": "application/json",
          "cache-control": "no-store",
        },
      });
    }
    return new Response("not found\n", { status: 404 });
  };
}

/**
 * Starts the metrics listener.
 *
 * @param opts Address and what to serve.
 * @returns The running listener.
 * @throws {Error} `listen tcp <host:port>: bind: address already in use`.
 */
export function startMetricsServer(
  opts: MetricsServerOptions,
): MetricsServer {
  const host = opts.host ?? DEFAULT_METRICS_HOST;
  const port = opts.port ?? DEFAULT_METRICS_PORT;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host === "" ? "0.0.0.0" : host,
      port,
      onListen: () => {},
      onError: () => new Response("internal error\n", { status: 500 }),
    }, metricsHandler(opts));
  } catch (e) {
    const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    if (e instanceof Deno.errors.AddrInUse) {
      throw new Error(`listen tcp ${where}: bind: address already in use`, {
        cause: e,
      });
    }
    throw e;
  }
  const a = server.addr;
  const addr = a.hostname.includes(":")
    ? `[${a.hostname}]:${a.port}`
    : `${a.hostname}:${a.port}`;
  return {
    addr,
    url: `http://${addr}/`,
    async close() {
      await server.shutdown();
    },
  };
}
