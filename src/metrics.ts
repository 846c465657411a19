/**
 * Prometheus metrics: counters, gauges and histograms with labels, and the
 * text exposition format (version 0.0.4) that `/metrics` serves.
 *
 * Pure and small on purpose: the signing path only adds to numbers held in
 * maps (no allocation per observation beyond the first of a label set);
 * the text is built when a scraper asks. Names follow Prometheus
 * conventions (`stave_` prefix, `_total` counters, `_seconds` durations).
 *
 * @module
 */

/** Label values by label name. */
export type Labels = Readonly<Record<string, string>>;

/** Latency buckets in seconds: 100 µs … 10 s (a seal takes about 1 ms). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  10,
];

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the exposition format writes it. */
function escapeLabelValue(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll(
    "\n",
    "\\n",
  );
}

/** HELP text escaping (backslash and newline only). */
function escapeHelp(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** A sample value: Go's `strconv.FormatFloat(v, 'g', -1, 64)` spirit. */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: "counter" | "gauge" | "histogram";

  constructor(name: string, help: string, labelNames: readonly string[]) {
    if (!NAME.test(name)) throw new TypeError(`invalid metric name: ${name}`);
    for (const l of labelNames) {
      if (!LABEL.test(l) || l.startsWith("__") || l === "le") {
        throw new TypeError(`invalid label name: ${l}`);
      }
    }
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  /** The `{a="x",b="y"}` text of a label set, in the declared order. */
  protected key(labels: Labels | undefined): string {
    if (this.labelNames.length === 0) return "";
    const parts = this.labelNames.map((n) => {
      const v = labels?.[n];
      if (v === undefined) {
        throw new TypeError(`${this.name}: label ${n} missing`);
      }
      return `${n}="${escapeLabelValue(v)}"`;
    });
    return `{${parts.join(",")}}`;
  }

  /** The sample lines (without HELP/TYPE). */
  abstract samples(): string[];

  /** HELP, TYPE and the samples. */
  render(): string {
    const lines = [
      `# HELP ${this.name} ${escapeHelp(this.help)}`,
      `# TYPE ${this.name} ${this.type}`,
      ...this.samples(),
    ];
    return lines.join("\n") + "\n";
  }
}

/** A value that only goes up. */
export class Counter extends Metric {
  readonly type = "counter";
  #values = new Map<string, number>();

  /**
   * Adds to the counter.
   *
   * @param labels One value per declared label.
   * @param by A non-negative amount (default 1).
   */
  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new RangeError("counters only go up");
    const k = this.key(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }

  /** The current value of one label set (0 when never touched). */
  get(labels?: Labels): number {
    return this.#values.get(this.key(labels)) ?? 0;
  }

  samples(): string[] {
    return [...this.#values].map(([k, v]) =>
      `${this.name}${k} ${formatSampleValue(v)}`
    );
  }
}

/** A value that goes up and down, set directly or read when scraped. */
export class Gauge extends Metric {
  readonly type = "gauge";
  #values = new Map<string, number>();
  #collect: (() => Iterable<[Labels | undefined, number]>) | undefined;

  /**
   * @param name Metric name.
   * @param help Help text.
   * @param labelNames Declared labels.
   * @param collect Read at every scrape instead of set values.
   */
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    collect?: () => Iterable<[Labels | undefined, number]>,
  ) {
    super(name, help, labelNames);
    this.#collect = collect;
  }

  /** Sets one label set's value. */
  set(labels: Labels | undefined, value: number): void {
    this.#values.set(this.key(labels), value);
  }

  /** Adds (or, negative, subtracts). */
  add(labels: Labels | undefined, by: number): void {
    const k = this.key(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }

  /** The current value of one label set. */
  get(labels?: Labels): number | undefined {
    if (this.#collect) {
      const k = this.key(labels);
      for (const [l, v] of this.#collect()) if (this.key(l) === k) return v;
      return undefined;
    }
    return this.#values.get(this.key(labels));
  }

  samples(): string[] {
    const entries: [string, number][] = this.#collect
      ? [...this.#collect()].map(([l, v]) => [this.key(l), v])
      : [...this.#values];
    return entries.map(([k, v]) => `${this.name}${k} ${formatSampleValue(v)}`);
  }
}

interface HistogramCell {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets, with their sum. */
export class Histogram extends Metric {
  readonly type = "histogram";
  readonly buckets: readonly number[];
  #cells = new Map<string, HistogramCell>();

  /**
   * @param name Metric name.
   * @param help Help text.
   * @param labelNames Declared labels.
   * @param buckets Upper bounds, increasing (`+Inf` is added).
   */
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = LATENCY_BUCKETS,
  ) {
    super(name, help, labelNames);
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i] > buckets[i - 1])) {
        throw new RangeError("histogram buckets must increase");
      }
    }
    this.buckets = buckets;
  }

  /**
   * Records one observation.
   *
   * @param labels One value per declared label.
   * @param value The observed value (seconds, for latencies).
   */
  observe(labels: Labels | undefined, value: number): void {
    const k = this.key(labels);
    let cell = this.#cells.get(k);
    if (cell === undefined) {
      cell = {
        counts: new Array(this.buckets.length).fill(0),
        sum: 0,
        count: 0,
      };
      this.#cells.set(k, cell);
    }
    // Not cumulative here: one bucket per observation, summed when rendered.
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]) i++;
    if (i < this.buckets.length) cell.counts[i]++;
    cell.sum += value;
    cell.count++;
  }

  /** Number of observations of one label set. */
  count(labels?: Labels): number {
    return this.#cells.get(this.key(labels))?.count ?? 0;
  }

  samples(): string[] {
    const out: string[] = [];
    for (const [k, cell] of this.#cells) {
      const inner = k === "" ? "" : k.slice(1, -1) + ",";
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += cell.counts[i];
        out.push(
          `${this.name}_bucket{${inner}le="${
            formatSampleValue(b)
          }"} ${cumulative}`,
        );
      });
      out.push(`${this.name}_bucket{${inner}le="+Inf"} ${cell.count}`);
      out.push(`${this.name}_sum${k} ${formatSampleValue(cell.sum)}`);
      out.push(`${this.name}_count${k} ${cell.count}`);
    }
    return out;
  }
}

/**
 * A set of metrics rendered together.
 *
 * @example Usage
 * ```ts
 * import { Registry } from "./metrics.ts";
 * import { strictEqual } from "node:assert/strict";
 * const r = new Registry();
 * const c = r.counter("stave_requests_total", "Requests.", ["method"]);
 * c.inc({ method: "account_list" });
 * strictEqual(
 *   r.render(),
 *   '# HELP stave_requests_total Requests.\n# TYPE stave_requests_total counter\nstave_requests_total{method="account_list"} 1\n',
 * );
 * ```
 */
export class Registry {
  #metrics = new Map<string, Metric>();

  #add<M extends Metric>(m: M): M {
    if (this.#metrics.has(m.name)) {
      throw new TypeError(`metric ${m.name} registered twice`);
    }
    this.#metrics.set(m.name, m);
    return m;
  }

  /** Registers a counter. */
  counter(name: string, help: string, labelNames: string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }

  /** Registers a gauge (with `collect`, read at every scrape). */
  gauge(
    name: string,
    help: string,
    labelNames: string[] = [],
    collect?: () => Iterable<[Labels | undefined, number]>,
  ): Gauge {
    return this.#add(new Gauge(name, help, labelNames, collect));
  }

  /** Registers a histogram. */
  histogram(
    name: string,
    help: string,
    labelNames: string[] = [],
    buckets: readonly number[] = LATENCY_BUCKETS,
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets));
  }

  /** The whole text exposition, metrics in registration order. */
  render(): string {
    return [...this.#metrics.values()].map((m) => m.render()).join("");
  }
}
