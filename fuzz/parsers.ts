/**
 * In-process fuzz cases for the parsers the daemon runs on untrusted
 * input: JSON (parseJson against JSON.parse and against JsonStreamDecoder
 * fed in random chunks), the hex decoders (with round trips), strict RLP
 * through Clique header decoding (decode∘encode must be the identity on
 * what is accepted), EIP-712 decoding and hashing, transaction argument
 * decoding and building, Gnosis and validator data, ABI selectors.
 *
 * A case may throw only the error classes its API documents (TypeError,
 * RangeError, SyntaxError, StaveError); anything else, a stack overflow,
 * or a broken round trip is a finding.
 *
 * @module
 */
import {
  JsonStreamDecoder,
  type JsonValue,
  parseJson,
  stringifyJson,
} from "../src/json.ts";
import { StaveError } from "../src/errors.ts";
import {
  decodeHexBig,
  decodeHexBytes,
  decodeHexUint64,
  encodeBytes,
  encodeQuantity,
} from "../src/signing/hexutil.ts";
import {
  buildCliqueSealRequest,
  decodeHeader,
  encodeHeader,
} from "../src/signing/clique.ts";
import { decodeTypedData, hashTypedData } from "../src/signing/eip712.ts";
import { formatTypedData } from "../src/signing/eip712_format.ts";
import { decodeSendTxArgs } from "../src/signing/send_tx_args.ts";
import { buildTransaction, signingHash } from "../src/signing/tx.ts";
import { decodeGnosisSafeTx, gnosisSafeDigest } from "../src/signing/gnosis.ts";
import { decodeValidatorData } from "../src/signing/validator_data.ts";
import { parseSelector } from "../src/signing/abi_decode.ts";
import { baseParams, type CorpusContext } from "./corpus.ts";
import { message, mutatedCliqueRlp } from "./mutate.ts";
import {
  caseSeed,
  CaseTooLargeError,
  fromHex,
  type J,
  Rng,
  serialize,
  sizeUpTo,
  toHex,
} from "./model.ts";

/** A problem found in process. */
export interface ParserFinding {
  /** The parser. */
  target: string;
  /** What went wrong. */
  problem: string;
  /** The input (text, or 0x hex for bytes). */
  input: string;
}

const enc = new TextEncoder();

function allowed(e: unknown): boolean {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return false;
  return e instanceof TypeError || e instanceof RangeError ||
    e instanceof SyntaxError || e instanceof StaveError;
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`.slice(0, 500);
  return `non-Error thrown: ${String(e)}`.slice(0, 500);
}

/** Runs `fn`; an error of a class outside the API is a finding. */
function guarded(
  target: string,
  input: string,
  out: ParserFinding[],
  fn: () => void,
): void {
  try {
    fn();
  } catch (e) {
    if (!allowed(e)) out.push({ target, input, problem: describe(e) });
  }
}

const ctx: CorpusContext = {
  address: "0x71562b71999873DB5b286dF957af199Ec94617F7",
  chainHex: "0x4",
  nextHeight: (() => {
    let h = 1n;
    return () => h++;
  })(),
};
let seqN = 0;
const gen = { ...ctx, seq: () => ++seqN };

function mutateText(r: Rng, t: string): string {
  if (t.length === 0 || r.chance(0.5)) return t;
  const i = r.int(t.length);
  switch (r.int(5)) {
    case 0:
      return t.slice(0, i);
    case 1:
      return t.slice(0, i) + t.slice(i + 1);
    case 2:
      return t.slice(0, i) +
        r.pick([
          "{",
          "}",
          "[",
          "]",
          ",",
          ":",
          '"',
          "\\",
          "e",
          "-",
          ".",
          "0",
          " ",
          "\u0000",
          "\u00e9",
        ]) + t.slice(i);
    case 3:
      return t + r.pick([" ", "\n", " x", "1", "{}", "]"]);
    default:
      return r.pick([" ", "\t\n"]) + t;
  }
}

function jsonCase(r: Rng, out: ParserFinding[]): void {
  let tree = message(r, gen);
  if (sizeUpTo(tree, 1_000_000) > 1_000_000) tree = message(r, gen, 0);
  let text = serialize(tree);
  if (text.length > 1_000_000) text = text.slice(0, 1_000_000);
  text = mutateText(r, text);
  let mine: JsonValue | undefined;
  let mineErr: unknown;
  try {
    mine = parseJson(text, { allowOverflow: true });
  } catch (e) {
    mineErr = e;
    if (!allowed(e)) {
      out.push({ target: "parseJson", input: text, problem: describe(e) });
      return;
    }
  }
  // Against JSON.parse (standard JSON), where depth allows.
  let depthOk = true;
  {
    let d = 0, m = 0, inStr = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inStr) {
        if (c === "\\") i++;
        else if (c === '"') inStr = false;
      } else if (c === '"') inStr = true;
      else if (c === "[" || c === "{") m = Math.max(m, ++d);
      else if (c === "]" || c === "}") d--;
    }
    depthOk = m <= 2000;
  }
  if (depthOk) {
    let std = true;
    try {
      JSON.parse(text);
    } catch {
      std = false;
    }
    if (std !== (mineErr === undefined)) {
      out.push({
        target: "parseJson vs JSON.parse",
        input: text,
        problem: std
          ? `parseJson refused what JSON.parse accepts: ${describe(mineErr)}`
          : "parseJson accepted what JSON.parse refuses",
      });
    }
  }
  // Against the stream decoder, fed in random pieces.
  const bytes = enc.encode(text);
  const d = new JsonStreamDecoder();
  const values: string[] = [];
  let streamErr: unknown;
  try {
    let off = 0;
    while (off < bytes.length) {
      const n = 1 + r.int(r.chance(0.5) ? 8 : 4096);
      values.push(...d.push(bytes.subarray(off, off + n)));
      off += n;
    }
    const end = d.end();
    values.push(...end.values);
    if (end.truncated) {
      streamErr = new SyntaxError("unexpected end of JSON input");
    }
  } catch (e) {
    streamErr = e;
    values.push(...((e as { values?: string[] }).values ?? []));
    if (!allowed(e)) {
      out.push({
        target: "JsonStreamDecoder",
        input: text,
        problem: describe(e),
      });
      return;
    }
  }
  if (mineErr === undefined) {
    if (streamErr !== undefined || values.length !== 1) {
      out.push({
        target: "JsonStreamDecoder vs parseJson",
        input: text,
        problem:
          `parseJson accepted; stream gave ${values.length} value(s), error ${
            streamErr ? describe(streamErr) : "none"
          }`,
      });
    } else {
      const again = parseJson(values[0], { allowOverflow: true });
      if (stringifyJson(again) !== stringifyJson(mine)) {
        out.push({
          target: "JsonStreamDecoder vs parseJson",
          input: text,
          problem: "the stream's value differs from parseJson's",
        });
      }
    }
  } else if (
    streamErr === undefined && values.length === 1 &&
    mineErr instanceof SyntaxError
  ) {
    out.push({
      target: "JsonStreamDecoder vs parseJson",
      input: text,
      problem: `stream accepted one value; parseJson: ${describe(mineErr)}`,
    });
  } else if (
    mineErr instanceof SyntaxError && streamErr instanceof SyntaxError &&
    values.length === 0 && mineErr.message !== streamErr.message &&
    !/unexpected end/.test(mineErr.message + streamErr.message)
  ) {
    out.push({
      target: "JsonStreamDecoder vs parseJson",
      input: text,
      problem:
        `errors differ: parseJson "${mineErr.message}", stream "${streamErr.message}"`,
    });
  }
}

function hexString(r: Rng): string {
  const digits = "0123456789abcdefABCDEFxXg- ";
  const base = r.chance(0.7) ? "0x" : r.pick(["", "0X", "x", "00x"]);
  let s = base;
  const n = r.size(80);
  for (let i = 0; i < n; i++) {
    s += r.chance(0.95)
      ? "0123456789abcdef"[r.int(16)]
      : digits[r.int(digits.length)];
  }
  return s;
}

function hexCase(r: Rng, out: ParserFinding[]): void {
  const s = hexString(r);
  guarded("decodeHexBytes", s, out, () => {
    const b = decodeHexBytes(s);
    if (encodeBytes(b) !== s.toLowerCase()) {
      out.push({
        target: "decodeHexBytes",
        input: s,
        problem: `round trip gave ${encodeBytes(b)}`,
      });
    }
  });
  guarded("decodeHexUint64", s, out, () => {
    const v = decodeHexUint64(s);
    if (v < 0n || v >= 1n << 64n) {
      out.push({
        target: "decodeHexUint64",
        input: s,
        problem: `out of range ${v}`,
      });
    } else if (encodeQuantity(v) !== s.toLowerCase()) {
      out.push({
        target: "decodeHexUint64",
        input: s,
        problem: `accepted a non-canonical quantity (${encodeQuantity(v)})`,
      });
    }
  });
  guarded("decodeHexBig", s, out, () => {
    const v = decodeHexBig(s);
    if (v < 0n || v >= 1n << 256n) {
      out.push({
        target: "decodeHexBig",
        input: s,
        problem: `out of range ${v}`,
      });
    } else if (encodeQuantity(v) !== s.toLowerCase()) {
      out.push({
        target: "decodeHexBig",
        input: s,
        problem: `accepted a non-canonical quantity (${encodeQuantity(v)})`,
      });
    }
  });
}

function rlpCase(r: Rng, out: ParserFinding[]): void {
  let hex = mutatedCliqueRlp(r, BigInt(1 + r.int(1 << 30))).slice(2);
  if (r.chance(0.1)) hex = toHex(r.bytes(r.size(600)));
  const bytes = fromHex(hex);
  const input = "0x" + hex;
  guarded("decodeHeader", input, out, () => {
    const h = decodeHeader(bytes);
    const again = toHex(encodeHeader(h));
    if (again !== hex) {
      out.push({
        target: "decodeHeader",
        input,
        problem:
          `accepted input that does not re-encode to itself (non-canonical RLP?): 0x${
            again.slice(0, 200)
          }`,
      });
    }
  });
  guarded("buildCliqueSealRequest", input, out, () => {
    buildCliqueSealRequest(bytes);
  });
}

function treeCase(
  r: Rng,
  method: string,
  pick: (params: J) => J | undefined,
): { text: string; value?: JsonValue } {
  const params = baseParams(method, ctx, r);
  if (params === undefined) return { text: "" };
  const target = pick(params);
  if (target === undefined) return { text: "" };
  const text = serialize(target);
  try {
    return { text, value: parseJson(text) };
  } catch {
    return { text };
  }
}

function mutateJson(r: Rng, v: JsonValue, depth = 0): JsonValue {
  if (depth > 8) return v;
  if (Array.isArray(v)) {
    const a = v.map((x) => r.chance(0.2) ? mutateJson(r, x, depth + 1) : x);
    if (r.chance(0.1)) a.push(r.pick([null, "0x", "", true]) as JsonValue);
    if (r.chance(0.1) && a.length) a.splice(r.int(a.length), 1);
    return a;
  }
  if (v !== null && typeof v === "object" && !("literal" in v)) {
    const o: { [k: string]: JsonValue } = Object.create(null);
    for (const [k, x] of Object.entries(v)) {
      if (r.chance(0.05)) continue;
      o[r.chance(0.03) ? k.toUpperCase() : k] = r.chance(0.25)
        ? mutateJson(r, x, depth + 1)
        : x;
    }
    if (r.chance(0.05)) {
      o[r.pick(["extra", "type", "name"])] = r.pick([
        "",
        "uint256",
        "bytes32[]",
        "Foo[2][]",
        null,
      ]) as JsonValue;
    }
    return o;
  }
  if (typeof v === "string") {
    if (!r.chance(0.5)) return v;
    return r.pick([
      "",
      "0x",
      v + "[]",
      v.replace(/\d+/, "257"),
      v.startsWith("0x") ? v.slice(0, -1) : v + "x",
      "uint8",
      "int256",
      "bytes0",
      "Foo",
      "EIP712Domain",
      "0x" + "ff".repeat(33),
      "-1",
      "115792089237316195423570985008687907853269984665640564039457584007913129639936",
    ]);
  }
  return r.pick([null, true, "1", v, v]) as JsonValue;
}

function typedCase(r: Rng, out: ParserFinding[]): void {
  const { text, value } = treeCase(
    r,
    "account_signTypedData",
    (p) => p.k === "arr" ? p.a[1] ?? p.a[0] : p,
  );
  if (value === undefined) return;
  const v = r.chance(0.7) ? mutateJson(r, value) : value;
  const input = r.chance(0.7) ? stringifyJson(v) : text;
  guarded("decodeTypedData/hashTypedData", input, out, () => {
    const td = decodeTypedData(v);
    hashTypedData(td);
    formatTypedData(td);
  });
}

function txCase(r: Rng, out: ParserFinding[]): void {
  const { text, value } = treeCase(
    r,
    "account_signTransaction",
    (p) => p.k === "arr" ? p.a[0] : p,
  );
  if (value === undefined) return;
  const v = r.chance(0.5) ? mutateJson(r, value) : value;
  guarded(
    "decodeSendTxArgs/buildTransaction",
    r.chance(0.5) ? stringifyJson(v) : text,
    out,
    () => {
      const args = decodeSendTxArgs(v);
      const tx = buildTransaction(args);
      signingHash(tx, 4n);
    },
  );
}

function gnosisCase(r: Rng, out: ParserFinding[]): void {
  const { value } = treeCase(
    r,
    "account_signGnosisSafeTx",
    (p) => p.k === "arr" ? p.a[1] ?? p.a[0] : p,
  );
  if (value === undefined) return;
  const v = mutateJson(r, value);
  guarded("decodeGnosisSafeTx", stringifyJson(v), out, () => {
    gnosisSafeDigest(decodeGnosisSafeTx(v), 4n);
  });
  guarded("decodeValidatorData", stringifyJson(v), out, () => {
    decodeValidatorData(v);
  });
}

function selectorCase(r: Rng, out: ParserFinding[]): void {
  const parts = [
    "transfer",
    "(",
    ")",
    "address",
    "uint256",
    ",",
    "[",
    "]",
    "tuple",
    "bytes",
    "2",
    " ",
    "int8",
    "(uint256,address)[]",
    "string",
  ];
  let s = "";
  for (let n = r.size(20); n > 0; n--) s += r.pick(parts);
  guarded("parseSelector", s, out, () => {
    try {
      parseSelector(s);
    } catch (e) {
      // documented: a plain Error "failed to parse selector '<text>': ..."
      if (
        !(e instanceof Error &&
          e.message.startsWith("failed to parse selector"))
      ) throw e;
    }
  });
}

/** The case kinds, in the order of the weights below. */
const TARGETS: [number, (r: Rng, out: ParserFinding[]) => void][] = [
  [30, jsonCase],
  [15, hexCase],
  [20, rlpCase],
  [15, typedCase],
  [10, txCase],
  [5, gnosisCase],
  [5, selectorCase],
];
const TOTAL = TARGETS.reduce((a, [w]) => a + w, 0);

/**
 * Runs in-process case `index` of campaign `seed`.
 *
 * @param seed Campaign seed.
 * @param index Case number.
 * @returns The findings (usually none).
 */
export function runParserCase(seed: number, index: number): ParserFinding[] {
  const r = new Rng(caseSeed(seed, "parsers", index));
  const out: ParserFinding[] = [];
  let x = r.int(TOTAL);
  for (const [w, fn] of TARGETS) {
    if (x < w) {
      try {
        fn(r, out);
      } catch (e) {
        // a case too big to build is skipped; other generator errors show
        if (!(e instanceof CaseTooLargeError)) {
          out.push({
            target: fn.name,
            input: "(generator)",
            problem: describe(e),
          });
        }
      }
      break;
    }
    x -= w;
  }
  return out;
}
