/**
 * What lets an operator see the daemon (observability issue): the metrics
 * listener with `/health`, the systemd watchdog (`WATCHDOG=1` while the
 * event loop and the rules Worker answer), and `STATUS=` lines for
 * `systemctl status` ("sealing for 0x…, last block N").
 *
 * @module
 */
import { errorText } from "../api/external.ts";
import type { SignerMetrics } from "../api/metrics.ts";
import type { Logger } from "../log.ts";
import {
  type MetricsServer,
  type PartHealth,
  startMetricsServer,
} from "../rpc/metrics_server.ts";
import { sdNotify } from "../rpc/notify.ts";

/** A probe of one part of the daemon (vault, rules, guard, endpoints). */
export type PartProbe = () => Promise<PartHealth>;

/** How long one part may take to answer a health probe. */
export const PART_PROBE_TIMEOUT_MS = 3_000;

/**
 * Runs every probe (each bounded by {@linkcode PART_PROBE_TIMEOUT_MS}).
 *
 * @param probes The parts by name.
 * @returns Each part's state; a probe that throws or hangs is not ok.
 */
export async function probeParts(
  probes: Record<string, PartProbe>,
): Promise<Record<string, PartHealth>> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const state = await Promise.race([
          probe(),
          new Promise<PartHealth>((resolve) => {
            timer = setTimeout(
              () => resolve({ ok: false, error: "no answer within 3s" }),
              PART_PROBE_TIMEOUT_MS,
            );
          }),
        ]);
        return [name, state] as const;
      } catch (err) {
        return [name, { ok: false, error: errorText(err) }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * Starts the metrics listener (`--metrics`).
 *
 * @param opts Address, metrics and probes.
 * @returns The listener.
 */
export function startMetricsEndpoint(opts: {
  host: string;
  port: number;
  metrics: SignerMetrics;
  probes: Record<string, PartProbe>;
}): MetricsServer {
  return startMetricsServer({
    host: opts.host,
    port: opts.port,
    render: () => opts.metrics.render(),
    health: () => probeParts(opts.probes),
  });
}

/**
 * systemd's watchdog (`WatchdogSec=` sets `$WATCHDOG_USEC`): every half
 * period, `WATCHDOG=1` is sent if every probe answers; a daemon whose
 * event loop or rules Worker is wedged stops sending and systemd restarts
 * it. Nothing runs when the variable is not set.
 *
 * @param probes What must answer (the rules engine).
 * @param log Where a missed beat is reported.
 * @param env Reads `WATCHDOG_USEC` / `WATCHDOG_PID`.
 * @returns Stops the timer.
 */
export function startWatchdog(
  probes: Record<string, PartProbe>,
  log: Logger,
  env: (name: string) => string | undefined,
): () => void {
  const usec = Number(env("WATCHDOG_USEC") ?? "");
  const pid = env("WATCHDOG_PID");
  if (!(usec > 0) || (pid !== undefined && pid !== String(Deno.pid))) {
    return () => {};
  }
  const periodMs = Math.max(100, Math.floor(usec / 2000));
  let healthy = true;
  let running = false;
  const beat = async () => {
    if (running) return; // the previous beat is still waiting: no beat
    running = true;
    try {
      const parts = await probeParts(probes);
      const bad = Object.entries(parts).filter(([, p]) => !p.ok);
      if (bad.length === 0) {
        if (!healthy) log.info("Watchdog: every part answers again");
        healthy = true;
        await sdNotify("WATCHDOG=1");
      } else if (healthy) {
        healthy = false;
        log.error("Watchdog: not sending WATCHDOG=1", {
          parts: bad.map(([name, p]) => `${name}: ${p.error ?? "not ok"}`)
            .join("; "),
        });
      }
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void beat(), periodMs);
  void beat();
  return () => clearInterval(timer);
}

/** How often at most a `STATUS=` line is sent. */
export const STATUS_INTERVAL_MS = 1_000;

/**
 * `STATUS=` lines for `systemctl status`: after a Clique header is sealed,
 * "sealing for 0x…, last block N", at most once a second.
 *
 * @returns Call with each sealed block.
 */
export function cliqueStatusNotifier(): (
  account: string,
  number: bigint,
) => void {
  // Not run by systemd: nothing to tell, no timer on the signing path.
  if (!Deno.env.get("NOTIFY_SOCKET")) return () => {};
  let last = 0;
  let pending: { account: string; number: bigint } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = () => {
    timer = undefined;
    if (pending === undefined) return;
    last = Date.now();
    const { account, number } = pending;
    pending = undefined;
    void sdNotify(`STATUS=sealing for ${account}, last block ${number}`);
  };
  return (account, number) => {
    pending = { account, number };
    if (timer !== undefined) return;
    const wait = Math.max(0, last + STATUS_INTERVAL_MS - Date.now());
    timer = setTimeout(send, wait);
    // never keep the process alive for a status line
    Deno.unrefTimer(timer as unknown as number);
  };
}
