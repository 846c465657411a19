/**
 * `deno task fuzz`: a seeded, reproducible fuzz campaign against a real
 * daemon (master seed with light scrypt, the go-ethereum test key, stored
 * password, an attested approve-all rules file, `--clique-guard`, IPC and
 * HTTP on loopback) and against the parsers in process.
 *
 * It reports crashes (daemon exit), hangs (no answer within `--deadline`),
 * invalid answers (not JSON-RPC 2.0 for the request, wrong id echo, HTTP
 * 5xx) and -32603 answers, writes each input to `--out`, and exits 1 on
 * any crash, hang, invalid answer, unexpected -32603 (one the daemon logs
 * as `RPC method crashed`) or parser finding.
 *
 * ```
 * deno task fuzz [--seed N] [--requests N | --seconds N] [--out DIR]
 *   [--ipc N] [--http N] [--parser-cases N] [--deadline S] [--settle S]
 *   [--daemon-v8-flags FLAGS]
 * deno task fuzz --replay FILE.bin [--transport ipc|http]
 * ```
 *
 * `fuzz/repro/` keeps minimal reproducers of what a campaign found on
 * main (`deno task fuzz --replay fuzz/repro/<file>`): `tx_without_from.json`
 * and `blob_version_1.json`, both answered -32603 "method handler crashed".
 *
 * @module
 */
import { join } from "node:path";
import {
  APPROVE_ALL_RULES,
  type Daemon,
  DEFAULT_CHAIN_ID,
  memoryOf,
  setupSigner,
  type SignerSetup,
  splitJsonValues,
  startDaemon,
} from "../tests/_daemon.ts";
import type { JsonValue } from "../src/json.ts";
import { caseSeed, depth, Rng, serialize } from "./model.ts";
import { type Case, fuzzCase, type GenContext } from "./mutate.ts";
import {
  type AnswerStats,
  check,
  checkEnvelope,
  expect,
  type Expectation,
  parseAnswer,
} from "./oracle.ts";
import type { ParserFinding } from "./parsers.ts";

// ---------------------------------------------------------------------------
// Options

interface Options {
  seed: number;
  requests: number;
  seconds: number;
  out?: string;
  ipc: number;
  http: number;
  parserCases: number;
  deadlineMs: number;
  settleS: number;
  v8Flags?: string;
  replay?: string;
  transport: "ipc" | "http";
}

function usage(msg: string): never {
  console.error(`fuzz: ${msg}
usage: deno task fuzz [--seed N] [--requests N | --seconds N] [--out DIR]
         [--ipc N] [--http N] [--parser-cases N] [--deadline S] [--settle S]
         [--daemon-v8-flags FLAGS]
       deno task fuzz --replay FILE.bin [--transport ipc|http]`);
  Deno.exit(2);
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    seed: crypto.getRandomValues(new Uint32Array(1))[0],
    requests: 0,
    seconds: 0,
    ipc: 3,
    http: 2,
    parserCases: -1,
    deadlineMs: 120_000,
    settleS: 10,
    transport: "ipc",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const int = () => {
      const v = val();
      if (!/^\d+$/.test(v)) usage(`${a} wants a number, got ${v}`);
      return Number(v);
    };
    switch (a) {
      case "--seed":
        o.seed = int() >>> 0;
        break;
      case "--requests":
        o.requests = int();
        break;
      case "--seconds":
        o.seconds = int();
        break;
      case "--out":
        o.out = val();
        break;
      case "--ipc":
        o.ipc = int();
        break;
      case "--http":
        o.http = int();
        break;
      case "--parser-cases":
        o.parserCases = int();
        break;
      case "--deadline":
        o.deadlineMs = int() * 1000;
        break;
      case "--settle":
        o.settleS = int();
        break;
      case "--daemon-v8-flags":
        o.v8Flags = val();
        break;
      case "--replay":
        o.replay = val();
        break;
      case "--transport": {
        const t = val();
        if (t !== "ipc" && t !== "http") usage("--transport is ipc or http");
        o.transport = t;
        break;
      }
      case "-h":
      case "--help":
        usage("help");
        break;
      default:
        usage(`unknown argument ${a}`);
    }
  }
  if (o.requests === 0 && o.seconds === 0) o.requests = 12_000;
  if (o.ipc + o.http === 0) usage("--ipc and --http are both 0");
  if (o.parserCases < 0) o.parserCases = o.requests > 0 ? o.requests * 5 : 1e9;
  return o;
}

// ---------------------------------------------------------------------------
// Transports

const enc = new TextEncoder();
const dec = new TextDecoder();

/** An IPC connection reading a stream of JSON values. */
class IpcConn {
  #conn: Deno.UnixConn;
  #values: string[] = [];
  #waiters: (() => void)[] = [];
  eof = false;
  readonly done: Promise<void>;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
    this.done = this.#read();
  }

  static async open(path: string): Promise<IpcConn> {
    return new IpcConn(await Deno.connect({ transport: "unix", path }));
  }

  async #read(): Promise<void> {
    let buf = "";
    const chunk = new Uint8Array(1 << 16);
    try {
      for (;;) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        buf += dec.decode(chunk.subarray(0, n), { stream: true });
        const { values, rest } = splitJsonValues(buf);
        buf = rest;
        if (values.length) {
          this.#values.push(...values);
          this.#wake();
        }
      }
    } catch {
      // reset
    }
    if (buf.trim() !== "") this.#values.push(buf); // a torn value: checked as such
    this.eof = true;
    this.#wake();
  }

  #wake() {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  async write(b: Uint8Array): Promise<void> {
    let off = 0;
    while (off < b.length) off += await this.#conn.write(b.subarray(off));
  }

  async closeWrite(): Promise<void> {
    await this.#conn.closeWrite();
  }

  /** Next value, or null at EOF / deadline ("timeout"). */
  async next(until: number): Promise<string | null | "timeout"> {
    for (;;) {
      if (this.#values.length) return this.#values.shift()!;
      if (this.eof) return null;
      const left = until - Date.now();
      if (left <= 0) return "timeout";
      let t: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        t = setTimeout(r, left);
      });
      clearTimeout(t);
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // closed
    }
  }
}

// ---------------------------------------------------------------------------
// Findings

type FindingClass = "crash" | "hang" | "invalid" | "internal" | "parser";

interface Finding {
  class: FindingClass;
  transport: string;
  seed: number;
  stream: string;
  index: number;
  note: string;
  problems: string[];
  answer?: string;
  input?: Uint8Array;
}

class Findings {
  counts: Record<FindingClass, number> = {
    crash: 0,
    hang: 0,
    invalid: 0,
    internal: 0,
    parser: 0,
  };
  internalMessages = new Map<string, number>();
  files: string[] = [];
  #written: Record<string, number> = {};
  constructor(readonly dir: string, readonly perClassFiles = 200) {}

  async add(f: Finding): Promise<string | undefined> {
    this.counts[f.class]++;
    const n = this.#written[f.class] = (this.#written[f.class] ?? 0) + 1;
    if (n > this.perClassFiles) return;
    const base = join(
      this.dir,
      `${f.class}-${f.transport}-${f.stream}-${f.index}`,
    );
    const meta = {
      class: f.class,
      transport: f.transport,
      seed: f.seed,
      stream: f.stream,
      index: f.index,
      note: f.note,
      problems: f.problems,
      inputBytes: f.input?.length,
      inputPreview: f.input ? dec.decode(f.input.subarray(0, 2000)) : undefined,
      answer: f.answer?.slice(0, 4000),
      replay: f.input
        ? `deno task fuzz --replay ${base}.bin --transport ${
          f.transport === "http" ? "http" : "ipc"
        }`
        : undefined,
    };
    await Deno.writeTextFile(
      base + ".json",
      JSON.stringify(meta, null, 2) + "\n",
    );
    if (f.input) await Deno.writeFile(base + ".bin", f.input);
    this.files.push(base + ".json");
    return base;
  }
}

// ---------------------------------------------------------------------------
// The campaign

interface Shared {
  o: Options;
  daemon: Daemon;
  setup: SignerSetup;
  findings: Findings;
  stats: AnswerStats & {
    generatorErrors: number;
    cases: number;
    ipc: number;
    http: number;
    raw: number;
    batches: number;
  };
  gen: GenContext;
  stop: boolean;
  crashed: boolean;
  startedAt: number;
  inFlight: Map<string, { c: Case; bytes: Uint8Array; index: number }>;
  internalRepros: {
    base: string;
    transport: "ipc" | "http";
    input: Uint8Array;
    messages: string[];
  }[];
}

function wantMore(s: Shared, next: number): boolean {
  if (s.stop || s.crashed) return false;
  if (s.o.requests > 0 && next >= s.o.requests) return false;
  if (s.o.seconds > 0 && Date.now() - s.startedAt > s.o.seconds * 1000) {
    return false;
  }
  return true;
}

function caseBytes(c: Case): { bytes: Uint8Array; tooDeep: boolean } {
  if (c.kind === "raw") return { bytes: c.bytes, tooDeep: false };
  return {
    bytes: enc.encode(serialize(c.tree)),
    tooDeep: depth(c.tree) > 10_000,
  };
}

async function recordAnswer(
  s: Shared,
  transport: "ipc" | "http",
  index: number,
  c: Case,
  bytes: Uint8Array,
  problems: string[],
  internal: string[],
  answer: string,
): Promise<void> {
  if (problems.length) {
    await s.findings.add({
      class: "invalid",
      transport,
      seed: s.o.seed,
      stream: "case",
      index,
      note: c.note,
      problems,
      answer,
      input: bytes,
    });
  }
  for (const m of internal) {
    s.findings.internalMessages.set(
      m,
      (s.findings.internalMessages.get(m) ?? 0) + 1,
    );
  }
  if (internal.length) {
    const base = await s.findings.add({
      class: "internal",
      transport,
      seed: s.o.seed,
      stream: "case",
      index,
      note: c.note,
      problems: internal.map((m) => `-32603 ${m}`),
      answer,
      input: bytes,
    });
    if (base && s.internalRepros.length < 40) {
      s.internalRepros.push({
        base,
        transport,
        input: bytes,
        messages: internal,
      });
    }
  }
}

async function hang(
  s: Shared,
  transport: string,
  index: number,
  c: Case,
  bytes: Uint8Array,
  what: string,
) {
  if (s.crashed) return;
  await s.findings.add({
    class: "hang",
    transport,
    seed: s.o.seed,
    stream: "case",
    index,
    note: c.note,
    problems: [`${what} within ${s.o.deadlineMs / 1000} s`],
    input: bytes,
  });
  if (s.findings.counts.hang >= 10) s.stop = true;
}

/** One IPC case on a fresh connection that is half-closed after the input. */
async function ipcRawCase(
  s: Shared,
  index: number,
  c: Case,
  bytes: Uint8Array,
  tooDeep: boolean,
) {
  let conn: IpcConn;
  try {
    conn = await IpcConn.open(s.daemon.ipcPath);
  } catch (e) {
    if (!s.crashed) {
      await s.findings.add({
        class: "invalid",
        transport: "ipc",
        seed: s.o.seed,
        stream: "case",
        index,
        note: c.note,
        problems: [`connect failed: ${(e as Error).message}`],
        input: bytes,
      });
    }
    return;
  }
  try {
    await conn.write(bytes).catch(() => {});
    await conn.closeWrite().catch(() => {});
    const until = Date.now() + s.o.deadlineMs;
    const problems: string[] = [];
    const internal: string[] = [];
    const got: string[] = [];
    let sawParseError = false;
    for (;;) {
      const v = await conn.next(until);
      if (v === "timeout") {
        await hang(
          s,
          "ipc-raw",
          index,
          c,
          bytes,
          "connection not closed after EOF",
        );
        return;
      }
      if (v === null) break;
      got.push(v);
      const p = parseAnswer(v);
      if (p.problem) {
        problems.push(p.problem);
        continue;
      }
      const items = Array.isArray(p.value) ? p.value : [p.value!];
      for (const it of items) {
        const env = checkEnvelope(it);
        problems.push(...env.problems);
        if (env.code === -32603) internal.push(env.message ?? "");
        if (env.code === -32700) sawParseError = true;
      }
    }
    if (tooDeep && !sawParseError) {
      problems.push("nesting over 10,000 not refused with -32700");
    }
    s.stats.internal += internal.length;
    await recordAnswer(
      s,
      "ipc",
      index,
      c,
      bytes,
      problems,
      internal,
      got.join("\n"),
    );
  } finally {
    conn.close();
  }
}

/**
 * Case `index`: a function of the seed and the index alone (ids and
 * Clique heights included), so a campaign replays exactly.
 */
function makeCase(s: Shared, index: number): Case {
  const r = new Rng(caseSeed(s.o.seed, "case", index));
  let seq = index * 100_000;
  let height = 1_000_000n + BigInt(index) * 64n;
  return fuzzCase(r, {
    ...s.gen,
    seq: () => ++seq,
    nextHeight: () => height++,
  });
}

/** A case and its bytes; a generator bug is logged and skipped. */
function makeCaseSafely(
  s: Shared,
  index: number,
): { c: Case; bytes: Uint8Array; tooDeep: boolean } | undefined {
  try {
    const c = makeCase(s, index);
    return { c, ...caseBytes(c) };
  } catch (e) {
    s.stats.generatorErrors++;
    console.error(`fuzz: case ${index} not generated: ${(e as Error).message}`);
    return undefined;
  }
}

async function ipcWorker(s: Shared, w: number) {
  let conn: IpcConn | undefined;
  let sentinel = 0;
  for (let index = w; wantMore(s, index); index += s.o.ipc + s.o.http) {
    const made = makeCaseSafely(s, index);
    if (!made) continue;
    const { c, bytes, tooDeep } = made;
    s.stats.cases++;
    s.stats.ipc++;
    if (c.kind === "raw") s.stats.raw++;
    if (c.kind === "tree" && c.tree.k === "arr") s.stats.batches++;
    const key = `ipc${w}`;
    s.inFlight.set(key, { c, bytes, index });
    if (c.kind === "raw" || tooDeep || bytes.length > 30 * 1024 * 1024) {
      await ipcRawCase(s, index, c, bytes, tooDeep);
      continue;
    }
    try {
      conn ??= await IpcConn.open(s.daemon.ipcPath);
    } catch (e) {
      if (s.crashed) return;
      await s.findings.add({
        class: "invalid",
        transport: "ipc",
        seed: s.o.seed,
        stream: "case",
        index,
        note: c.note,
        problems: [`connect failed: ${(e as Error).message}`],
        input: bytes,
      });
      continue;
    }
    const e: Expectation = expect(c.tree);
    const sid = `sentinel-${w}-${++sentinel}`;
    const tail = enc.encode(
      `\n{"jsonrpc":"2.0","id":"${sid}","method":"account_version"}\n`,
    );
    const msg = new Uint8Array(bytes.length + tail.length);
    msg.set(bytes);
    msg.set(tail, bytes.length);
    const writing = conn.write(msg).catch(() => {});
    const until = Date.now() + s.o.deadlineMs;
    const answers: JsonValue[] = [];
    const texts: string[] = [];
    const problems: string[] = [];
    let sawSentinel = false;
    const wantCount = e.kind === "none" ? 0 : 1;
    let closed = false;
    while (!sawSentinel || answers.length < wantCount) {
      const v = await conn.next(until);
      if (v === "timeout") break;
      if (v === null) {
        closed = true;
        break;
      }
      const p = parseAnswer(v);
      if (p.problem) {
        problems.push(p.problem);
        texts.push(v);
        continue;
      }
      const pv = p.value!;
      if (
        pv !== null && typeof pv === "object" && !Array.isArray(pv) &&
        (pv as Record<string, JsonValue>).id === sid
      ) {
        sawSentinel = true;
        continue;
      }
      answers.push(pv);
      texts.push(v);
    }
    await writing;
    if (s.crashed) return;
    if (!closed && (!sawSentinel || answers.length < wantCount)) {
      await hang(
        s,
        "ipc",
        index,
        c,
        bytes,
        sawSentinel ? "no answer (the next call was answered)" : "no answer",
      );
      conn.close();
      conn = undefined;
      continue;
    }
    if (closed) {
      problems.push(
        `connection closed by the daemon (${answers.length} answers before)`,
      );
      conn.close();
      conn = undefined;
    }
    const v = check(e, answers, s.stats);
    await recordAnswer(
      s,
      "ipc",
      index,
      c,
      bytes,
      [...problems, ...v.problems],
      v.internal,
      texts.join("\n"),
    );
  }
  conn?.close();
}

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json-rpc",
  "application/jsonrequest",
  "text/plain",
  "",
  'application/json; charset="',
];

async function httpWorker(s: Shared, w: number) {
  const url = s.daemon.httpUrl!;
  for (
    let index = s.o.ipc + w;
    wantMore(s, index);
    index += s.o.ipc + s.o.http
  ) {
    const c = makeCase(s, index);
    const r = new Rng(caseSeed(s.o.seed, "http-headers", index));
    const { bytes, tooDeep } = caseBytes(c);
    s.stats.cases++;
    s.stats.http++;
    if (c.kind === "raw") s.stats.raw++;
    if (c.kind === "tree" && c.tree.k === "arr") s.stats.batches++;
    s.inFlight.set(`http${w}`, { c, bytes, index });
    const ct = r.chance(0.95) ? CONTENT_TYPES[r.int(2)] : r.pick(CONTENT_TYPES);
    const ctOk =
      ["application/json", "application/json-rpc", "application/jsonrequest"]
        .includes(ct.split(";")[0].trim()) &&
      ct !== 'application/json; charset="';
    let status: number, text: string;
    // a timer cleared after the answer: AbortSignal.timeout() would keep
    // each request (bodies of MiBs) alive for the whole deadline
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), s.o.deadlineMs);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: ct === "" ? {} : { "content-type": ct },
        body: bytes as BodyInit,
        signal: ac.signal,
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      if (s.crashed) return;
      if (ac.signal.aborted) {
        await hang(s, "http", index, c, bytes, "no HTTP answer");
      } else {
        await s.findings.add({
          class: "invalid",
          transport: "http",
          seed: s.o.seed,
          stream: "case",
          index,
          note: c.note,
          problems: [`request failed: ${(e as Error).message}`],
          input: bytes,
        });
      }
      continue;
    } finally {
      clearTimeout(timer);
    }
    const problems: string[] = [];
    let internal: string[] = [];
    if (bytes.length > 5 * 1024 * 1024) {
      if (status !== 413) {
        problems.push(
          `body of ${bytes.length} bytes: status ${status}, want 413`,
        );
      }
    } else if (!ctOk && ct !== "") {
      if (status !== 415) {
        problems.push(
          `content type ${JSON.stringify(ct)}: status ${status}, want 415`,
        );
      }
    } else if (ct === "") {
      if (status !== 415) {
        problems.push(
          `no content type: status ${status}, want 415`,
        );
      }
    } else if (status !== 200) {
      problems.push(`status ${status}, want 200`);
    } else if (c.kind === "raw" || tooDeep) {
      if (text !== "") {
        const p = parseAnswer(text);
        if (p.problem) problems.push(p.problem);
        else {
          const items = Array.isArray(p.value) ? p.value : [p.value!];
          let parseError = false;
          for (const it of items) {
            const env = checkEnvelope(it);
            problems.push(...env.problems);
            if (env.code === -32603) internal.push(env.message ?? "");
            if (env.code === -32700) parseError = true;
          }
          if (tooDeep && !parseError) {
            problems.push(
              "nesting over 10,000 not refused with -32700",
            );
          }
        }
      } else if (tooDeep) problems.push("nesting over 10,000: empty answer");
      s.stats.internal += internal.length;
    } else {
      const e = expect(c.tree);
      let answers: JsonValue[] = [];
      if (text !== "") {
        const p = parseAnswer(text);
        if (p.problem) problems.push(p.problem);
        else answers = [p.value!];
      }
      const v = check(e, answers, s.stats);
      problems.push(...v.problems);
      internal = v.internal;
    }
    if (status >= 500) problems.push(`HTTP ${status}`);
    await recordAnswer(
      s,
      "http",
      index,
      c,
      bytes,
      problems,
      internal,
      `${status} ${text}`,
    );
  }
}

// ---------------------------------------------------------------------------
// Parsers in process (a Worker, watched)

async function parserCampaign(
  s: Shared,
  findings: Findings,
): Promise<{ cases: number }> {
  let from = 0;
  let total = 0;
  const deadline = s.o.seconds > 0
    ? s.startedAt + s.o.seconds * 1000
    : Date.now() + 24 * 3600_000;
  while (from < s.o.parserCases && !s.crashed) {
    const worker = new Worker(new URL("./parsers_worker.ts", import.meta.url), {
      type: "module",
    });
    let last = from;
    let lastSeen = Date.now();
    let finished: number | undefined;
    const pending: Promise<unknown>[] = [];
    worker.onmessage = (e: MessageEvent) => {
      lastSeen = Date.now();
      const m = e.data;
      if (m.ready) {
        worker.postMessage({
          seed: s.o.seed,
          from,
          to: s.o.parserCases,
          deadline,
        });
      }
      if (m.progress !== undefined) last = m.progress;
      if (m.finding) {
        const f = m.finding as ParserFinding & { index: number };
        pending.push(findings.add({
          class: "parser",
          transport: "inproc",
          seed: s.o.seed,
          stream: "parsers",
          index: f.index,
          note: f.target,
          problems: [f.problem],
          input: enc.encode(f.input),
        }));
      }
      if (m.done !== undefined) finished = m.done;
    };
    worker.onerror = (e) => {
      e.preventDefault();
      finished = -1;
      pending.push(findings.add({
        class: "parser",
        transport: "inproc",
        seed: s.o.seed,
        stream: "parsers",
        index: last,
        note: "worker error",
        problems: [String(e.message)],
      }));
    };
    while (finished === undefined) {
      await new Promise((r) => setTimeout(r, 200));
      if (Date.now() - lastSeen > s.o.deadlineMs) {
        // a case in [last, last + 100) never returned
        pending.push(findings.add({
          class: "hang",
          transport: "inproc",
          seed: s.o.seed,
          stream: "parsers",
          index: last,
          note: "parser case did not return",
          problems: [
            `one of parser cases ${last}..${last + 99} ran over ${
              s.o.deadlineMs / 1000
            } s (rerun them with runParserCase(${s.o.seed}, i))`,
          ],
        }));
        finished = -1;
        break;
      }
    }
    worker.terminate();
    await Promise.all(pending);
    if (finished === -1) {
      total += last - from + 100;
      from = last + 100;
    } else {
      total += finished;
      break;
    }
    if (Date.now() > deadline) break;
  }
  return { cases: total };
}

// ---------------------------------------------------------------------------
// Replay

async function replay(o: Options): Promise<number> {
  const input = await Deno.readFile(o.replay!);
  const setup = await setupSigner({ rulesSource: APPROVE_ALL_RULES });
  const daemon = await startDaemon(setup, {
    http: true,
    // errors only: "RPC method crashed" is an error; the per-call warnings
    // (ids and method names of up to 100 kB) would pile up in the harness
    extraFlags: ["--clique-guard", "--loglevel", "1"],
    env: o.v8Flags ? { DENO_V8_FLAGS: o.v8Flags } : undefined,
  });
  try {
    if (o.transport === "http") {
      const res = await fetch(daemon.httpUrl!, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: input as BodyInit,
        signal: AbortSignal.timeout(o.deadlineMs),
      });
      console.log(`HTTP ${res.status}`);
      console.log(await res.text());
    } else {
      const c = await IpcConn.open(daemon.ipcPath);
      await c.write(input);
      await c.closeWrite();
      const until = Date.now() + o.deadlineMs;
      for (;;) {
        const v = await c.next(until);
        if (v === null) break;
        if (v === "timeout") {
          console.log(`(no EOF within ${o.deadlineMs / 1000} s)`);
          break;
        }
        console.log(v);
      }
      c.close();
    }
    await new Promise((r) => setTimeout(r, 300));
    const log = daemon.stderrText().split("\n").filter((l) =>
      /crashed|ERROR|Uncaught/.test(l)
    );
    if (log.length) console.log("--- daemon log\n" + log.join("\n"));
  } finally {
    const st = await daemon.stop();
    await setup.cleanup();
    console.log(`daemon exit ${st.code}${st.signal ? ` (${st.signal})` : ""}`);
  }
  return 0;
}

/** Replays -32603 inputs alone to see which ones the daemon logs as crashes. */
async function classifyInternal(s: Shared): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rep of s.internalRepros) {
    const before = s.daemon.stderrText().length;
    try {
      if (rep.transport === "http") {
        const res = await fetch(s.daemon.httpUrl!, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: rep.input as BodyInit,
          signal: AbortSignal.timeout(s.o.deadlineMs),
        });
        await res.text();
      } else {
        const c = await IpcConn.open(s.daemon.ipcPath);
        await c.write(rep.input);
        await c.closeWrite();
        const until = Date.now() + s.o.deadlineMs;
        while (typeof (await c.next(until)) === "string");
        c.close();
      }
    } catch {
      // replays are best effort
    }
    await new Promise((r) => setTimeout(r, 200));
    const log = s.daemon.stderrText().slice(before).split("\n")
      .filter((l) => l.includes("RPC method crashed"));
    const verdict = log.length
      ? log.join("\n")
      : "(not logged as a crash: a -32603 clef also answers)";
    out.set(rep.base, verdict);
    try {
      const meta = JSON.parse(await Deno.readTextFile(rep.base + ".json"));
      meta.daemonLog = verdict;
      await Deno.writeTextFile(
        rep.base + ".json",
        JSON.stringify(meta, null, 2) + "\n",
      );
    } catch {
      // file capped or gone
    }
  }
  return out;
}

// ---------------------------------------------------------------------------

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(0)} MiB`;
}

async function main(): Promise<number> {
  const o = parseOptions(Deno.args);
  if (o.replay) return await replay(o);
  const outDir = o.out ?? await Deno.makeTempDir({ prefix: "stave-fuzz-" });
  await Deno.mkdir(outDir, { recursive: true });
  const budget = o.requests > 0 ? `${o.requests} requests` : `${o.seconds} s`;
  console.log(
    `fuzz: seed ${o.seed}, ${budget}, ${o.ipc} IPC + ${o.http} HTTP clients, findings in ${outDir}`,
  );
  console.log(
    `fuzz: reproduce with: deno task fuzz --seed ${o.seed} ${
      o.requests > 0 ? `--requests ${o.requests}` : `--seconds ${o.seconds}`
    }`,
  );

  const setup = await setupSigner({ rulesSource: APPROVE_ALL_RULES });
  const daemon = await startDaemon(setup, {
    http: true,
    // errors only: "RPC method crashed" is an error; the per-call warnings
    // (ids and method names of up to 100 kB) would pile up in the harness
    extraFlags: ["--clique-guard", "--loglevel", "1"],
    env: o.v8Flags ? { DENO_V8_FLAGS: o.v8Flags } : undefined,
  });
  const pid = await daemon.daemonPid();
  let height = 1_000_000n;
  let seq = 0;
  const gen: GenContext = {
    address: setup.address,
    chainHex: "0x" + DEFAULT_CHAIN_ID.toString(16),
    nextHeight: () => height++,
    seq: () => ++seq,
  };
  const findings = new Findings(outDir);
  const s: Shared = {
    o,
    daemon,
    setup,
    findings,
    stats: {
      generatorErrors: 0,
      cases: 0,
      ipc: 0,
      http: 0,
      raw: 0,
      batches: 0,
      internal: 0,
      timeouts: 0,
      batchTooLarge: 0,
    },
    gen,
    stop: false,
    crashed: false,
    startedAt: Date.now(),
    inFlight: new Map(),
    internalRepros: [],
  };
  // the daemon's exit is a crash, with whatever was in flight
  const exitWatch = daemon.status.then(async (st) => {
    if (s.stop && s.crashed) return;
    s.crashed = true;
    for (const [who, f] of s.inFlight) {
      await findings.add({
        class: "crash",
        transport: who.startsWith("http") ? "http" : "ipc",
        seed: o.seed,
        stream: "case",
        index: f.index,
        note: f.c.note,
        problems: [
          `daemon exited (code ${st.code}, signal ${st.signal}) with this input in flight`,
          daemon.stderrText().slice(-3000),
        ],
        input: f.bytes,
      });
    }
    if (s.inFlight.size === 0) findings.counts.crash++;
  });

  // warm up, then the "before" figure
  {
    const c = await IpcConn.open(daemon.ipcPath);
    for (let i = 0; i < 20; i++) {
      await c.write(
        enc.encode(`{"jsonrpc":"2.0","id":${i},"method":"account_list"}\n`),
      );
      await c.next(Date.now() + o.deadlineMs);
    }
    c.close();
  }
  const before = await memoryOf(pid);
  let peak = before.rssKiB;
  const samples: [number, number][] = [];
  const sampler = setInterval(() => {
    memoryOf(pid).then((m) => {
      peak = Math.max(peak, m.rssKiB);
      samples.push([Math.round((Date.now() - s.startedAt) / 1000), m.rssKiB]);
    }).catch(() => {});
  }, 1000);
  let lastReport = Date.now();
  const progress = setInterval(() => {
    if (Date.now() - lastReport < 30_000) return;
    lastReport = Date.now();
    const c = findings.counts;
    console.log(
      `fuzz: ${s.stats.cases} requests, ${
        ((Date.now() - s.startedAt) / 1000).toFixed(0)
      } s, ` +
        `RSS ${samples.length ? mib(samples[samples.length - 1][1]) : "?"}; ` +
        `crash ${c.crash} hang ${c.hang} invalid ${c.invalid} -32603 ${s.stats.internal} parser ${c.parser}; ` +
        `harness RSS ${mib(Deno.memoryUsage().rss / 1024)}`,
    );
  }, 1000);

  const t0 = performance.now();
  const parserRun = parserCampaign(s, findings);
  const workers: Promise<void>[] = [];
  for (let i = 0; i < o.ipc; i++) workers.push(ipcWorker(s, i));
  for (let i = 0; i < o.http; i++) workers.push(httpWorker(s, i));
  await Promise.all(workers);
  const elapsed = (performance.now() - t0) / 1000;
  s.stop = true; // the parser worker stops with the requests when time-bounded
  const parsers = await parserRun;
  const end = s.crashed
    ? undefined
    : await memoryOf(pid).catch(() => undefined);
  const hwm = s.crashed
    ? undefined
    : (await memoryOf(pid).catch(() => undefined))?.hwmKiB;

  const campaignLog = daemon.stderrText();
  const crashLines =
    campaignLog.split("\n").filter((l) => l.includes("RPC method crashed"))
      .length;
  let classified = new Map<string, string>();
  let settled: number | undefined;
  if (!s.crashed) {
    classified = await classifyInternal(s);
    if (o.settleS > 0) {
      await new Promise((r) => setTimeout(r, o.settleS * 1000));
      settled = (await memoryOf(pid).catch(() => undefined))?.rssKiB;
    }
  }
  clearInterval(sampler);
  clearInterval(progress);
  const uncaught = campaignLog.split("\n").filter((l) =>
    /Uncaught|panicked|Fatal/.test(l)
  );

  let exitCode = 0;
  if (!s.crashed) {
    s.stop = true;
    s.crashed = true; // the exit below is ours
    const st = await daemon.stop();
    if (st.code !== 0) {
      console.log(`fuzz: daemon exited ${st.code} on SIGTERM`);
      exitCode = 1;
    }
  }
  await exitWatch;

  const c = findings.counts;
  const internalTotal = s.stats.internal;
  const otherInternal = [...findings.internalMessages].filter(([m]) =>
    m !== "method handler crashed"
  );
  const unexpectedInternal = crashLines +
    otherInternal.reduce((a, [, n]) => a + n, 0);
  console.log("");
  console.log(`fuzz: seed ${o.seed}`);
  console.log(
    `  requests      ${s.stats.cases} (IPC ${s.stats.ipc}, HTTP ${s.stats.http}; ${s.stats.batches} batches, ${s.stats.raw} raw) in ${
      elapsed.toFixed(1)
    } s`,
  );
  if (s.stats.generatorErrors) {
    console.log(
      `  generator     ${s.stats.generatorErrors} cases not generated (harness bug, see stderr)`,
    );
  }
  console.log(`  parser cases  ${parsers.cases} in process`);
  console.log(`  crashes       ${c.crash}`);
  console.log(`  hangs         ${c.hang}`);
  console.log(`  invalid       ${c.invalid}`);
  console.log(
    `  -32603        ${internalTotal} answers; ${unexpectedInternal} unexpected (daemon logged "RPC method crashed", notifications included, or not clef's text); the rest are clef's own panics`,
  );
  for (const [m, n] of findings.internalMessages) {
    console.log(`                  ${n} × ${JSON.stringify(m)}`);
  }
  console.log(`  parser        ${c.parser} findings`);
  console.log(
    `  timeouts      ${s.stats.timeouts} (-32002), ${s.stats.batchTooLarge} "batch too large"`,
  );
  console.log(
    `  daemon RSS    before ${mib(before.rssKiB)}, peak ${
      mib(Math.max(peak, hwm ?? 0))
    }, end ${end ? mib(end.rssKiB) : "-"}` +
      (settled !== undefined ? `, ${o.settleS} s later ${mib(settled)}` : ""),
  );
  if (uncaught.length) {
    console.log(
      `  daemon log    ${uncaught.slice(0, 5).join("\n                ")}`,
    );
  }
  const crashKinds = new Map<string, number>();
  for (const l of campaignLog.split("\n")) {
    if (!l.includes("RPC method crashed")) continue;
    const k = l.replace(/^.*?RPC method crashed\s*/, "").replace(/\s+/g, " ")
      .slice(0, 200);
    crashKinds.set(k, (crashKinds.get(k) ?? 0) + 1);
  }
  for (const [k, n] of crashKinds) console.log(`  crashed       ${n} × ${k}`);
  if (classified.size) {
    console.log(
      `  replayed ${classified.size} -32603 inputs alone (their .json has daemonLog)`,
    );
  }
  console.log(`  findings in   ${outDir} (${findings.files.length} files)`);
  await Deno.writeTextFile(
    join(outDir, "summary.json"),
    JSON.stringify(
      {
        seed: o.seed,
        requests: s.stats,
        parserCases: parsers.cases,
        seconds: elapsed,
        counts: c,
        internal32603: {
          total: internalTotal,
          unexpected: unexpectedInternal,
          messages: Object.fromEntries(findings.internalMessages),
          crashed: Object.fromEntries(crashKinds),
        },
        rssKiB: {
          before: before.rssKiB,
          peak: Math.max(peak, hwm ?? 0),
          end: end?.rssKiB,
          settled,
          settleS: o.settleS,
          samples,
        },
      },
      null,
      2,
    ) + "\n",
  );
  await setup.cleanup();
  if (c.crash + c.hang + c.invalid + c.parser + unexpectedInternal > 0) {
    exitCode = 1;
  }
  return exitCode;
}

Deno.exit(await main());
