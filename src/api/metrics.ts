/**
 * The signer's Prometheus metrics (`--metrics`): what an operator alerts on
 * for a sealer (go-ethereum #28075: when the signer stops, sealing stops).
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `stave_requests_total` | counter | `method`, `outcome` |
 * | `stave_request_duration_seconds` | histogram | `method` |
 * | `stave_rule_call_duration_seconds` | histogram | `hook` |
 * | `stave_rule_timeouts_total` | counter | `hook` |
 * | `stave_key_unlocks_total` | counter | – |
 * | `stave_key_cache_hits_total` | counter | – |
 * | `stave_clique_last_sealed_block` | gauge | `account` |
 * | `stave_connections` | gauge | `transport` |
 * | `process_start_time_seconds` | gauge | – |
 * | `stave_build_info` | gauge (1) | `version`, `clef_version` |
 *
 * `outcome` is `approved` (answered with a result), `rejected_by_rule`,
 * `denied_by_operator`, `denied_by_ui`, `denied_timeout`,
 * `denied_end_of_input`, `denied_shutdown`, `refused_by_guard`, or `error`
 * (any other JSON-RPC error). Labels never carry secrets; the account label
 * is a public address.
 *
 * @module
 */
import { type Counter, type Histogram, Registry } from "../metrics.ts";
import type { Gauge } from "../metrics.ts";

/** A call's end as the dispatcher reports it. */
export interface ServedCall {
  /** The JSON-RPC method. */
  method: string;
  /** Time to the answer, in milliseconds. */
  durationMs: number;
  /** The error answered, if any. */
  error?: { code: number; message: string };
  /** The call's log fields (`by`, `account`, `number`). */
  fields?: Record<string, unknown>;
}

/** Where the connection counts come from (read at each scrape). */
export interface ConnectionCounts {
  /** Open connections by transport (`ipc`, `http`). */
  (): Iterable<[string, number]>;
}

/** Options of {@linkcode SignerMetrics}. */
export interface SignerMetricsOptions {
  /** `stave_build_info` `version`. */
  version: string;
  /** `stave_build_info` `clef_version` (the Clef release imitated). */
  clefVersion: string;
  /** Process start, in seconds since the epoch. */
  startTimeSeconds: number;
  /** Open connections per transport. */
  connections?: ConnectionCounts;
}

const DENIAL_OUTCOMES: Record<string, string> = {
  rule: "rejected_by_rule",
  operator: "denied_by_operator",
  ui: "denied_by_ui",
  timeout: "denied_timeout",
  "end of input": "denied_end_of_input",
  shutdown: "denied_shutdown",
  "clique guard": "refused_by_guard",
};

/**
 * The outcome label of a served call.
 *
 * @param call The call.
 * @returns One of the outcomes listed in the module doc.
 */
export function callOutcome(call: ServedCall): string {
  if (call.error === undefined) return "approved";
  const by = call.fields?.by;
  if (typeof by === "string" && by in DENIAL_OUTCOMES) {
    return DENIAL_OUTCOMES[by];
  }
  return "error";
}

/** The signer's metrics and the hooks that feed them. */
export class SignerMetrics {
  /** The registry `/metrics` renders. */
  readonly registry: Registry = new Registry();
  readonly #requests: Counter;
  readonly #latency: Histogram;
  readonly #ruleLatency: Histogram;
  readonly #ruleTimeouts: Counter;
  readonly #unlocks: Counter;
  readonly #cacheHits: Counter;
  readonly #lastSealed: Gauge;

  /** @param opts Build facts and the connection counts. */
  constructor(opts: SignerMetricsOptions) {
    const r = this.registry;
    this.#requests = r.counter(
      "stave_requests_total",
      "JSON-RPC calls answered, by method and outcome.",
      ["method", "outcome"],
    );
    this.#latency = r.histogram(
      "stave_request_duration_seconds",
      "Time from a call's arrival to its answer.",
      ["method"],
    );
    this.#ruleLatency = r.histogram(
      "stave_rule_call_duration_seconds",
      "Time of one rules-file hook call, storage writes included.",
      ["hook"],
    );
    this.#ruleTimeouts = r.counter(
      "stave_rule_timeouts_total",
      "Rule calls stopped at --rules-timeout or the rules heap limit.",
      ["hook"],
    );
    this.#unlocks = r.counter(
      "stave_key_unlocks_total",
      "Key files decrypted (one scrypt or pbkdf2 each).",
    );
    this.#cacheHits = r.counter(
      "stave_key_cache_hits_total",
      "Signatures made with a cached key (no decryption).",
    );
    this.#lastSealed = r.gauge(
      "stave_clique_last_sealed_block",
      "Number of the last Clique header sealed, per account.",
      ["account"],
    );
    const counts = opts.connections;
    r.gauge(
      "stave_connections",
      "Connections open, per transport.",
      ["transport"],
      () =>
        counts === undefined
          ? []
          : [...counts()].map(([transport, n]) => [{ transport }, n]),
    );
    r.gauge(
      "process_start_time_seconds",
      "Start time of the process since the Unix epoch in seconds.",
      [],
      () => [[undefined, opts.startTimeSeconds]],
    );
    r.gauge(
      "stave_build_info",
      "Always 1; the labels name the build.",
      ["version", "clef_version"],
      () => [[{ version: opts.version, clef_version: opts.clefVersion }, 1]],
    );
  }

  /** Records a served call (the dispatcher's `served` hook). */
  served(call: ServedCall): void {
    this.#requests.inc({ method: call.method, outcome: callOutcome(call) });
    this.#latency.observe({ method: call.method }, call.durationMs / 1000);
    const { account, number } = call.fields ?? {};
    if (
      call.error === undefined && typeof account === "string" &&
      typeof number === "bigint"
    ) {
      this.#lastSealed.set({ account }, Number(number));
    }
  }

  /** Records one rule hook call (the rules engine's `observe` hook). */
  ruleCall(hook: string, seconds: number, stopped: boolean): void {
    this.#ruleLatency.observe({ hook }, seconds);
    if (stopped) this.#ruleTimeouts.inc({ hook });
  }

  /** A key file was decrypted. */
  keyUnlocked(): void {
    this.#unlocks.inc();
  }

  /** A cached key was used. */
  keyCacheHit(): void {
    this.#cacheHits.inc();
  }

  /** The text exposition. */
  render(): string {
    return this.registry.render();
  }
}
