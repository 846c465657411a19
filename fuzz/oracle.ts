/**
 * What a JSON-RPC 2.0 server with go-ethereum's rules must answer to a
 * request tree, computed from the tree alone (independently of stave's
 * codec), and the check of an actual answer against it.
 *
 * Rules (go-ethereum `rpc/json.go`, `rpc/handler.go`): members are matched
 * with Go's case folding (ASCII, plus `ſ`→S and `K`→K); the last occurrence
 * wins, a string member given a non-string keeps its earlier value; a call
 * has `jsonrpc` "2.0", an id that is not an object or array, and a method;
 * a notification has no id; responses and `*_subscription` notifications
 * are dropped; anything else is answered -32600 with its id (or null).
 *
 * @module
 */
import { JsonNumber, type JsonValue, parseJson } from "../src/json.ts";
import type { J } from "./model.ts";

/** One message's expected fate. */
export type Fate =
  | { kind: "call"; id: J; method: string }
  | { kind: "silent" } // notification or dropped
  | { kind: "invalid"; id: J | null };

/** What the whole request must get back. */
export type Expectation =
  | { kind: "none" }
  | { kind: "single"; fate: Fate & { kind: "call" | "invalid" } }
  | {
    kind: "batch";
    fates: (Fate & { kind: "call" | "invalid" })[];
    size: number;
  }
  | { kind: "emptyBatch" };

function goFoldKey(k: string): string {
  let out = "";
  for (const ch of k) {
    if (ch === "\u017f") out += "S";
    else if (ch === "\u212a") out += "K";
    else if (ch.charCodeAt(0) < 0x80) out += ch.toUpperCase();
    else out += ch;
  }
  return out;
}

/**
 * The fate of one message tree.
 *
 * @param m The message.
 * @returns Call, silent or invalid.
 */
export function fateOf(m: J): Fate {
  if (m.k !== "obj") return { kind: "invalid", id: null };
  let version = "";
  let method = "";
  let id: J | undefined;
  let params = false;
  let result = false;
  for (const [key, v] of m.e) {
    switch (goFoldKey(key)) {
      case "JSONRPC":
        if (v.k === "str") version = v.s;
        break;
      case "METHOD":
        if (v.k === "str") method = v.s;
        break;
      case "ID":
        id = v;
        break;
      case "PARAMS":
        params = true;
        break;
      case "RESULT":
      case "ERROR":
        result = true;
        break;
    }
  }
  const validId = id !== undefined && id.k !== "obj" && id.k !== "arr";
  if (version === "2.0" && validId && method !== "") {
    return { kind: "call", id: id!, method };
  }
  if (version === "2.0" && id === undefined && method !== "") {
    return { kind: "silent" };
  }
  if (version === "2.0" && validId && method === "" && !params && result) {
    return { kind: "silent" };
  }
  return { kind: "invalid", id: validId ? id! : null };
}

/**
 * The expected answer to a request tree.
 *
 * @param t The request.
 * @returns The expectation.
 */
export function expect(t: J): Expectation {
  if (t.k !== "arr") {
    const f = fateOf(t);
    return f.kind === "silent" ? { kind: "none" } : { kind: "single", fate: f };
  }
  if (t.a.length === 0) return { kind: "emptyBatch" };
  const fates = t.a.map(fateOf).filter((f) => f.kind !== "silent") as (
    & Fate
    & { kind: "call" | "invalid" }
  )[];
  if (fates.length === 0) return { kind: "none" };
  return { kind: "batch", fates, size: t.a.length };
}

/** Figures gathered while checking answers. */
export interface AnswerStats {
  /** -32603 answers (any message). */
  internal: number;
  /** -32002 request timed out. */
  timeouts: number;
  /** "batch too large" answers. */
  batchTooLarge: number;
}

/** The outcome of a check: problems (empty when fine) and the -32603s. */
export interface Verdict {
  /** What is wrong with the answer. */
  problems: string[];
  /** Messages of -32603 errors in it. */
  internal: string[];
}

function isObj(v: JsonValue): v is { [k: string]: JsonValue } {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    !(v instanceof JsonNumber);
}

function sameId(want: J | null, got: JsonValue | undefined): boolean {
  if (want === null) return got === null;
  switch (want.k) {
    case "num":
      return got instanceof JsonNumber && got.literal === want.t;
    case "str":
      // geth echoes the raw id; decoded as Go does (a lone surrogate → U+FFFD)
      return typeof got === "string" &&
        got === parseJson(JSON.stringify(want.s));
    case "lit":
      return want.t === "null" ? got === null : got === (want.t === "true");
    default:
      return false;
  }
}

function showId(id: J | null): string {
  if (id === null) return "null";
  return id.k === "str"
    ? JSON.stringify(id.s.length > 60 ? id.s.slice(0, 60) + "…" : id.s)
    : id.k === "num" || id.k === "lit"
    ? id.t
    : id.k;
}

/**
 * Checks one response object's envelope (JSON-RPC 2.0): `jsonrpc` "2.0",
 * an `id`, exactly one of `result` / `error`, and an error with an integer
 * code and a string message.
 *
 * @param v The parsed response.
 * @param v The response.
 * @returns Problems, and the -32603 message if it is one.
 */
export function checkEnvelope(
  v: JsonValue,
): { problems: string[]; code?: number; message?: string } {
  const p: string[] = [];
  if (!isObj(v)) return { problems: ["response is not an object"] };
  if (v.jsonrpc !== "2.0") p.push(`jsonrpc is ${JSON.stringify(v.jsonrpc)}`);
  const keys = Object.keys(v);
  const extra = keys.filter((k) =>
    !["jsonrpc", "id", "result", "error"].includes(k)
  );
  if (extra.length) p.push(`unexpected members ${extra.join(",")}`);
  const hasResult = "result" in v, hasError = "error" in v;
  if (hasResult === hasError) p.push("not exactly one of result and error");
  let code: number | undefined, message: string | undefined;
  if (hasError) {
    const e = v.error;
    if (!isObj(e)) p.push("error is not an object");
    else {
      const c = e.code;
      if (!(c instanceof JsonNumber) || !/^-?\d+$/.test(c.literal)) {
        p.push(`error.code is not an integer: ${JSON.stringify(c)}`);
      } else code = Number(c.literal);
      if (typeof e.message !== "string") {
        p.push("error.message is not a string");
      } else message = e.message;
    }
  }
  // geth answers a timed-out notification without an id
  if (!("id" in v) && code !== -32002) p.push("no id");
  return { problems: p, code, message };
}

/**
 * Parses an answer text (one JSON value) keeping number literals.
 *
 * @param text The text.
 * @returns The value, or a problem.
 */
export function parseAnswer(
  text: string,
): { value?: JsonValue; problem?: string } {
  try {
    JSON.parse(text); // standard JSON, independently of stave's parser
  } catch (e) {
    return { problem: `answer is not JSON: ${(e as Error).message}` };
  }
  try {
    return { value: parseJson(text, { allowOverflow: true }) };
  } catch (e) {
    return { problem: `answer refused by parseJson: ${(e as Error).message}` };
  }
}

function checkOne(
  want: Fate & { kind: "call" | "invalid" },
  v: JsonValue,
  where: string,
  out: Verdict,
  stats: AnswerStats,
): void {
  const env = checkEnvelope(v);
  for (const q of env.problems) out.problems.push(`${where}: ${q}`);
  if (env.code === -32603) {
    stats.internal++;
    out.internal.push(env.message ?? "");
  }
  if (env.code === -32002) stats.timeouts++;
  const got = isObj(v) ? v.id : undefined;
  if (env.code === -32002 && got === undefined) return;
  if (!sameId(want.id, got)) {
    out.problems.push(
      `${where}: id ${JSON.stringify(got)} echoed, want ${showId(want.id)}`,
    );
  }
  if (want.kind === "invalid" && env.code !== -32600) {
    out.problems.push(
      `${where}: want -32600 invalid request, got code ${env.code}`,
    );
  }
}

/**
 * Checks the answers to one request against its expectation.
 *
 * @param e The expectation.
 * @param answers The values received for it (none, one object or array).
 * @param stats Figures to update.
 * @returns The verdict.
 */
export function check(
  e: Expectation,
  answers: JsonValue[],
  stats: AnswerStats,
): Verdict {
  const out: Verdict = { problems: [], internal: [] };
  if (e.kind === "none") {
    if (answers.length > 0) {
      out.problems.push(`answered ${answers.length} value(s), want none`);
    }
    return out;
  }
  if (answers.length !== 1) {
    out.problems.push(`answered ${answers.length} values, want 1`);
    return out;
  }
  const a = answers[0];
  if (e.kind === "emptyBatch") {
    const env = checkEnvelope(a);
    out.problems.push(...env.problems);
    if (env.code !== -32600 || (isObj(a) && a.id !== null)) {
      out.problems.push("empty batch: want one -32600 error with id null");
    }
    return out;
  }
  if (e.kind === "single") {
    if (Array.isArray(a)) {
      out.problems.push("single request answered with an array");
    } else checkOne(e.fate, a, "answer", out, stats);
    return out;
  }
  if (!Array.isArray(a)) {
    out.problems.push("batch answered with a non-array");
    return out;
  }
  // A batch over geth's limit may be refused as a whole (HTTP today; IPC
  // once the limits apply there).
  if (e.size > 1000 && a.length === 1) {
    const env = checkEnvelope(a[0]);
    if (env.code === -32600 && env.message === "batch too large") {
      stats.batchTooLarge++;
      return out;
    }
  }
  // geth answers in order; a response-size cut (-32003) or a timeout
  // (-32002) still answers every call.
  if (a.length !== e.fates.length) {
    out.problems.push(`batch: ${a.length} answers, want ${e.fates.length}`);
    return out;
  }
  for (let i = 0; i < a.length; i++) {
    checkOne(e.fates[i], a[i], `batch[${i}]`, out, stats);
  }
  return out;
}
