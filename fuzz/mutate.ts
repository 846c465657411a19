/**
 * Mutators: from a valid request to a near miss — ids, envelope members,
 * params (types, hex, numbers, RLP, nesting, sizes), batches, and raw
 * garbage. Every choice comes from the case's {@linkcode Rng}.
 *
 * @module
 */
import { baseParams, type CorpusContext, envelope, METHODS } from "./corpus.ts";
import {
  arr,
  bool,
  clone,
  fromHex,
  type J,
  NULL,
  num,
  obj,
  type Rng,
  sizeUpTo,
  str,
  toHex,
} from "./model.ts";

/** Largest body the generators make (the HTTP cap is 5 MiB). */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

const HEX_TRICKS: ((s: string, r: Rng) => string)[] = [
  () => "0x",
  () => "",
  (s) => s.slice(2),
  (s) => "0X" + s.slice(2),
  (s) => s + "0",
  (s) => s.slice(0, -1),
  (s) => s + "g",
  (s) => "0x0" + s.slice(2),
  (s) => "0x00" + s.slice(2),
  (s) => s.toUpperCase(),
  (s) => "0x" + "f".repeat(s.length),
  (_s, r) => "0x" + r.hex(r.size(200)),
  (_s, r) => "0x" + r.hex(2 * r.size(1 << 16)),
  () => "0x" + "ff".repeat(32) + "01",
  () => "0x10000000000000000",
  () => "0xffffffffffffffff",
  () => "0x8000000000000000",
  () => "0x-1",
  () => "-0x1",
  (s) => " " + s,
  (s) => s + "\u0000",
  (s) => s.replace(/[0-9a-f]/, "\u00e9"),
];

const NUMBER_LITERALS = [
  "0",
  "-0",
  "1",
  "-1",
  "1.0",
  "1e3",
  "1E+2",
  "1e400",
  "-1e400",
  "4.9e-324",
  "18446744073709551615",
  "18446744073709551616",
  "115792089237316195423570985008687907853269984665640564039457584007913129639936",
  "9007199254740993",
  "0.1",
  "255",
  "256",
];

const WEIRD_STRINGS = [
  "",
  "0x",
  "null",
  "\u0000",
  "\ud800",
  "\u2028",
  "é",
  "💥",
  "<script>",
  "%s%n",
  "\\",
  '"',
  "\n\r\t",
  "application/x-clique-header",
  "data/typed",
  "text/validator",
  "data/validator",
  "text/plain; charset=utf-8",
  "transfer(address,uint256)",
  "transfer(",
  "(",
  "f()",
  "uint256[",
  "tuple(uint256)[]",
];

function randomScalar(r: Rng): J {
  switch (r.int(6)) {
    case 0:
      return NULL;
    case 1:
      return bool(r.chance(0.5));
    case 2:
      return num(r.pick(NUMBER_LITERALS));
    case 3:
      return str(r.pick(WEIRD_STRINGS));
    case 4:
      return str("0x" + r.hex(r.pick([0, 1, 2, 40, 64, 130])));
    default:
      return str(r.pick(HEX_TRICKS)("0x" + r.hex(40), r));
  }
}

function randomValue(r: Rng, d = 0): J {
  if (d > 3 || r.chance(0.6)) return randomScalar(r);
  if (r.chance(0.5)) {
    return arr(Array.from({ length: r.size(6) }, () => randomValue(r, d + 1)));
  }
  return obj(
    Array.from(
      { length: r.size(6) },
      () => [
        r.pick(["a", "from", "to", "types", "0", ""]),
        randomValue(r, d + 1),
      ],
    ),
  );
}

/** Every node of a tree with a setter, so one can be replaced in place. */
function slots(root: J): { get: () => J; set: (v: J) => void }[] {
  const out: { get: () => J; set: (v: J) => void }[] = [];
  const stack = [root];
  while (stack.length > 0 && out.length < 5000) {
    const n = stack.pop()!;
    if (n.k === "obj") {
      for (const pair of n.e) {
        out.push({ get: () => pair[1], set: (v) => pair[1] = v });
        stack.push(pair[1]);
      }
    } else if (n.k === "arr") {
      for (let i = 0; i < n.a.length; i++) {
        out.push({ get: () => n.a[i], set: (v) => n.a[i] = v });
        stack.push(n.a[i]);
      }
    }
  }
  return out;
}

function containers(root: J): J[] {
  const out: J[] = [];
  const stack = [root];
  while (stack.length > 0 && out.length < 5000) {
    const n = stack.pop()!;
    if (n.k === "obj") {
      out.push(n);
      for (const [, v] of n.e) stack.push(v);
    } else if (n.k === "arr") {
      out.push(n);
      stack.push(...n.a);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// RLP (structural mutation of Clique headers)

function rlpLength(len: number, offset: number, r: Rng | null): Uint8Array {
  // r: make a non-canonical length form now and then
  if (len < 56 && !(r && r.chance(0.15))) return Uint8Array.of(offset + len);
  let hex = len.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  if (r && r.chance(0.1)) hex = "00" + hex; // leading zero in the length
  const lb = fromHex(hex);
  return Uint8Array.of(offset + 55 + lb.length, ...lb);
}

type Rlp = Uint8Array | Rlp[];

function encodeRlp(item: Rlp, r: Rng | null): Uint8Array {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80 && !(r && r.chance(0.05))) {
      return item;
    }
    const head = rlpLength(item.length, 0x80, r);
    const out = new Uint8Array(head.length + item.length);
    out.set(head);
    out.set(item, head.length);
    return out;
  }
  const parts = item.map((x) => encodeRlp(x, r));
  const len = parts.reduce((a, p) => a + p.length, 0);
  const head = rlpLength(len, 0xc0, r);
  const out = new Uint8Array(head.length + len);
  out.set(head);
  let off = head.length;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function quantity(n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array();
  let h = n.toString(16);
  if (h.length % 2) h = "0" + h;
  return fromHex(h);
}

/**
 * A Clique header RLP with structural damage: wrong item counts, nested
 * lists, non-canonical integers and lengths, oversized numbers, short
 * fixed-size fields, truncation, trailing bytes.
 *
 * @param r The PRNG.
 * @param height A fresh height.
 * @returns 0x hex.
 */
export function mutatedCliqueRlp(r: Rng, height: bigint): string {
  const h32 = () => r.bytes(32);
  const items: Rlp[] = [
    h32(),
    h32(),
    r.bytes(20),
    h32(),
    h32(),
    h32(),
    new Uint8Array(256),
    quantity(r.chance(0.5) ? 2n : 1n),
    quantity(height),
    quantity(30_000_000n),
    quantity(0n),
    quantity(1_700_000_000n + height * 15n),
    r.bytes(32),
    h32(),
    r.bytes(8),
  ];
  if (r.chance(0.5)) items.push(quantity(875_000_000n)); // baseFee
  for (let k = r.int(3) + 1; k > 0; k--) {
    const i = r.int(items.length);
    switch (r.int(12)) {
      case 0:
        items.splice(i, 1);
        break;
      case 1:
        items.push(r.bytes(r.size(40)));
        break;
      case 2:
        items[i] = [r.bytes(4), [r.bytes(2)]];
        break;
      case 3:
        items[i] = Uint8Array.of(0, ...quantity(BigInt(r.int(1000) + 1)));
        break;
      case 4:
        items[8] = quantity(
          r.pick([
            1n << 64n,
            (1n << 64n) - 1n,
            1n << 63n,
            1n << 255n,
            (1n << 256n) + 1n,
            0n,
          ]),
        );
        break;
      case 5:
        items[i] = r.bytes(r.size(40));
        break;
      case 6:
        items[12] = r.bytes(r.pick([0, 31, 32, 97, 32 + 20 * 3, 5000]));
        break;
      case 7:
        items[7] = quantity(BigInt(r.pick([0, 3, 255, 256])));
        break;
      case 8:
        items[6] = r.bytes(r.pick([0, 255, 257]));
        break;
      case 9:
        for (let j = r.int(20); j > 0; j--) items.push(new Uint8Array());
        break;
      case 10:
        items[i] = [];
        break;
      default:
        items[9] = quantity(1n << BigInt(r.int(300)));
    }
  }
  let bytes = encodeRlp(items, r.chance(0.3) ? r : null);
  switch (r.int(6)) {
    case 0:
      bytes = bytes.subarray(0, r.int(bytes.length));
      break;
    case 1: {
      const b = new Uint8Array(bytes.length + 1 + r.int(8));
      b.set(bytes);
      bytes = b;
      break;
    }
    case 2: {
      const b = bytes.slice();
      b[r.int(b.length)] ^= 1 << r.int(8);
      bytes = b;
      break;
    }
  }
  return "0x" + toHex(bytes);
}

// ---------------------------------------------------------------------------
// Params, envelope, batches

function mutateTree(root: J, r: Rng): J {
  const t = clone(root);
  const rounds = 1 + r.int(r.chance(0.2) ? 6 : 2);
  for (let k = 0; k < rounds; k++) {
    const sl = slots(t);
    const cs = containers(t);
    switch (r.int(14)) {
      case 0:
      case 1: { // replace a value with something of another type
        if (sl.length) r.pick(sl).set(randomValue(r));
        break;
      }
      case 2:
      case 3: { // hex tricks on a 0x string
        const hexes = sl.filter((s) => {
          const v = s.get();
          return v.k === "str" && v.s.startsWith("0x");
        });
        if (hexes.length) {
          const s = r.pick(hexes);
          s.set(str(r.pick(HEX_TRICKS)((s.get() as { s: string }).s, r)));
        }
        break;
      }
      case 4: { // drop a member / element
        const c = cs.length ? r.pick(cs) : undefined;
        if (c?.k === "obj" && c.e.length) c.e.splice(r.int(c.e.length), 1);
        if (c?.k === "arr" && c.a.length) c.a.splice(r.int(c.a.length), 1);
        break;
      }
      case 5: { // add a member / element, or duplicate a key
        const c = cs.length ? r.pick(cs) : undefined;
        if (c?.k === "obj") {
          if (c.e.length && r.chance(0.5)) {
            const [key] = r.pick(c.e);
            c.e.push([r.chance(0.5) ? key : key.toUpperCase(), randomValue(r)]);
          } else {
            c.e.push([
              r.pick(["extra", "__proto__", "constructor", "FROM", "chainid"]),
              randomValue(r),
            ]);
          }
        }
        if (c?.k === "arr") {
          c.a.splice(r.int(c.a.length + 1), 0, randomValue(r));
        }
        break;
      }
      case 6: { // numbers: literal forms at number positions, numbers for strings
        const nums = sl.filter((s) => s.get().k === "num");
        const s = nums.length && r.chance(0.6)
          ? r.pick(nums)
          : sl.length
          ? r.pick(sl)
          : undefined;
        s?.set(num(r.pick(NUMBER_LITERALS)));
        break;
      }
      case 7: { // nesting: wrap a value in arrays
        if (!sl.length) break;
        const s = r.pick(sl);
        let v = s.get();
        const n = r.chance(0.05)
          ? r.pick([300, 1000, 9990, 10_001])
          : 1 + r.int(5);
        for (let i = 0; i < n; i++) {
          v = r.chance(0.5) ? arr([v]) : { k: "obj", e: [["a", v]] };
        }
        s.set(v);
        break;
      }
      case 8: { // sizes: a long string
        if (!sl.length) break;
        const s = r.pick(sl);
        const len = r.chance(0.1) ? r.int(5 * 1024 * 1024) : r.size(100_000);
        s.set(
          str(r.chance(0.5) ? "0x" + "ab".repeat(len >> 1) : "x".repeat(len)),
        );
        break;
      }
      case 9: { // long arrays
        if (!sl.length) break;
        const s = r.pick(sl);
        const n = r.chance(0.1) ? r.int(100_000) : r.size(2000);
        const item = r.chance(0.5) ? s.get() : randomScalar(r);
        s.set(arr(Array.from({ length: n }, () => item)));
        break;
      }
      case 10: { // Clique RLP: structural damage
        const rlps = sl.filter((s) => {
          const v = s.get();
          return v.k === "str" && v.s.startsWith("0xf9");
        });
        if (rlps.length) {
          r.pick(rlps).set(
            str(mutatedCliqueRlp(r, BigInt(1 + r.int(1 << 20)))),
          );
        }
        break;
      }
      case 11: { // key case and unicode folding (Go matches keys case-insensitively)
        const objs = cs.filter((c) => c.k === "obj" && c.e.length > 0) as {
          k: "obj";
          e: [string, J][];
        }[];
        if (objs.length) {
          const o = r.pick(objs);
          const p = r.pick(o.e);
          p[0] = r.pick([
            p[0].toUpperCase(),
            p[0].replace(/s/g, "\u017f"),
            p[0].replace(/k/g, "\u212a"),
            p[0].replace(/i/g, "\u0131"), // dotless i: not a fold of I in Go
            p[0] + " ",
            "",
          ]);
        }
        break;
      }
      case 12: { // swap two values
        if (sl.length > 1) {
          const a = r.pick(sl), b = r.pick(sl);
          const va = a.get(), vb = b.get();
          a.set(clone(vb));
          b.set(clone(va));
        }
        break;
      }
      default: { // the whole thing replaced
        return r.chance(0.5) ? randomValue(r) : arr([t, t]);
      }
    }
  }
  return t;
}

/** Optional members clef's decoders know, with values worth trying. */
const KNOWN_FIELDS: [string, () => J][] = [
  ["blobVersion", () => num(1)],
  ["blobVersion", () => num(0)],
  ["blobVersion", () => num(255)],
  ["blobVersion", () => num(256)],
  ["from", () => NULL],
  ["to", () => NULL],
  ["chainId", () => str("0x0")],
  ["chainId", () => NULL],
  ["data", () => str("0x01")],
  ["input", () => str("0x02")],
  ["gasPrice", () => str("0x1")],
  ["maxFeePerGas", () => str("0x1")],
  ["accessList", () => arr([])],
  ["authorizationList", () => arr([])],
  ["blobVersionedHashes", () => arr([str("0x01" + "00".repeat(31))])],
  ["blobs", () => arr([])],
  ["commitments", () => arr([])],
  ["proofs", () => arr([])],
  ["nonce", () => str("0xffffffffffffffff")],
  ["primaryType", () => str("EIP712Domain")],
  ["domain", () => obj([])],
  ["types", () => obj([])],
  ["message", () => NULL],
];

/**
 * A member-level change of the first object argument (the tx, typed data,
 * Gnosis tx): drop a member, null it, add a known optional one.
 */
function mutateFields(params: J, r: Rng): J {
  const t = clone(params);
  if (t.k !== "arr") return t;
  const o = t.a.find((x) => x.k === "obj") as
    | { k: "obj"; e: [string, J][] }
    | undefined;
  if (!o) return t;
  for (let k = 1 + r.int(2); k > 0; k--) {
    const x = r.int(3);
    if (x === 0 && o.e.length) o.e.splice(r.int(o.e.length), 1);
    else if (x === 1 && o.e.length) {
      r.pick(o.e)[1] = r.chance(0.5) ? NULL : randomScalar(r);
    } else {
      const [key, v] = r.pick(KNOWN_FIELDS);
      o.e = o.e.filter(([k]) => k !== key);
      o.e.push([key, v()]);
    }
  }
  return t;
}

/** A random request id of any JSON type (and some that are not ids). */
function mutatedId(r: Rng, seq: number): J | undefined {
  switch (r.int(16)) {
    case 0:
      return undefined; // notification
    case 1:
      return NULL;
    case 2:
      return str("");
    case 3:
      return num(r.pick(NUMBER_LITERALS));
    case 4:
      return bool(r.chance(0.5));
    case 5:
      return obj([["id", num(seq)]]); // invalid: object
    case 6:
      return arr([num(seq)]); // invalid: array
    case 7:
      return str(r.pick(WEIRD_STRINGS) + seq);
    case 8:
      return str("x".repeat(r.size(100_000)));
    default:
      return r.chance(0.5) ? num(seq) : str(`f${seq}`);
  }
}

function mutatedMethod(r: Rng, m: string): string {
  switch (r.int(10)) {
    case 0:
      return m.toUpperCase();
    case 1:
      return "account_" + r.hex(4);
    case 2:
      return "";
    case 3:
      return r.pick([
        "account_subscribe",
        "eth_subscribe",
        "account_unsubscribe",
        "account_subscription",
      ]);
    case 4:
      return "a".repeat(r.pick([2047, 2048, 2049, 10_000]));
    case 5:
      return m + " ";
    case 6:
      return r.pick([
        "clef_listAccounts",
        "rpc_modules",
        "account",
        "_",
        "account_",
      ]);
    default:
      return m;
  }
}

/** Context the generators share across cases (ids, heights). */
export interface GenContext extends CorpusContext {
  /** Next unique sequence number (ids, messages). */
  seq(): number;
}

/**
 * One message: a valid request of a random method, then mutated (params
 * most often, sometimes the envelope).
 *
 * @param r The PRNG.
 * @param g Shared context.
 * @param mutate Probability of any mutation.
 * @returns The message tree.
 */
export function message(r: Rng, g: GenContext, mutate = 0.85): J {
  const method = r.pick(METHODS);
  const seq = g.seq();
  let params = baseParams(method, g, r);
  if (!r.chance(mutate)) return envelope(num(seq), method, params);
  const what = r.next();
  if (what < 0.6 && params !== undefined) {
    params = r.chance(0.35) ? mutateFields(params, r) : mutateTree(params, r);
    return envelope(
      r.chance(0.9) ? num(seq) : mutatedId(r, seq),
      method,
      params,
    );
  }
  if (what < 0.8) {
    return envelope(
      mutatedId(r, seq),
      mutatedMethod(r, method),
      params && (r.chance(0.7) ? params : randomValue(r)),
    );
  }
  // envelope members: version, extra members, case, types
  const m = envelope(num(seq), method, params) as {
    k: "obj";
    e: [string, J][];
  };
  switch (r.int(8)) {
    case 0:
      m.e[0][1] = r.pick([str("1.0"), str(""), num("2.0"), NULL, str("2.0 ")]);
      break;
    case 1:
      m.e.splice(0, 1);
      break;
    case 2:
      m.e.push([r.pick(["result", "error"]), randomValue(r)]);
      break;
    case 3:
      m.e = m.e.map(([k, v]) => [r.chance(0.5) ? k.toUpperCase() : k, v]);
      break;
    case 4:
      m.e.push(["id", mutatedId(r, g.seq()) ?? NULL]);
      break;
    case 5:
      m.e.reverse();
      break;
    case 6:
      m.e = m.e.map(([k, v]) => [k, k === "method" ? randomScalar(r) : v]);
      break;
    default:
      m.e = m.e.map(([k, v]) => [k, k === "params" ? randomValue(r) : v]);
  }
  return m;
}

/** What a case sends. */
export type Case =
  | { kind: "tree"; tree: J; note: string }
  | { kind: "raw"; bytes: Uint8Array; note: string };

/**
 * A response-shaped or otherwise inert message (geth drops responses).
 */
function inert(r: Rng, seq: number): J {
  return r.chance(0.5)
    ? obj([["jsonrpc", str("2.0")], ["id", num(seq)], [
      "result",
      randomValue(r),
    ]])
    : obj([["jsonrpc", str("2.0")], ["method", str("account_subscription")], [
      "params",
      obj([]),
    ]]);
}

function rawGarbage(r: Rng, g: GenContext): Uint8Array {
  const enc = new TextEncoder();
  const valid = () =>
    enc.encode(
      JSON.stringify({
        jsonrpc: "2.0",
        id: g.seq(),
        method: "account_version",
      }),
    );
  switch (r.int(12)) {
    case 0:
      return r.bytes(r.size(4096));
    case 1: {
      const v = valid();
      return v.subarray(0, r.int(v.length));
    }
    case 2: { // flip bytes of a valid request
      const v = valid().slice();
      for (let k = 1 + r.int(3); k > 0; k--) v[r.int(v.length)] = r.int(256);
      return v;
    }
    case 3: // invalid UTF-8 inside a string
      return Uint8Array.of(
        ...enc.encode('{"jsonrpc":"2.0","id":"'),
        0xff,
        0xc3,
        0x28,
        0xed,
        0xa0,
        0x80,
        ...enc.encode('","method":"account_version"}'),
      );
    case 4:
      return enc.encode(" \t\r\n".repeat(r.size(100)));
    case 5: // values back to back, no separator
      return enc.encode(
        Array.from(
          { length: 1 + r.int(5) },
          () =>
            JSON.stringify({
              jsonrpc: "2.0",
              id: g.seq(),
              method: "account_version",
            }),
        ).join(""),
      );
    case 6:
      return Uint8Array.of(0xef, 0xbb, 0xbf, ...valid());
    case 7:
      return enc.encode(
        r.pick([
          "[",
          "{",
          '"',
          "[1,",
          '{"a":',
          "nul",
          "tru",
          "-",
          "1e",
          "0x1",
          "'a'",
          "NaN",
          "Infinity",
          "[]]",
          "{}}",
        ]),
      );
    case 8:
      return enc.encode(
        "[".repeat(r.pick([10_000, 10_001, 100_000])) +
          "]".repeat(r.int(3) ? 10_000 : 0),
      );
    case 9:
      return Uint8Array.of(0, 0, 0, ...valid());
    case 10: // a huge unterminated string
      return enc.encode(
        '{"jsonrpc":"2.0","id":1,"method":"' + "a".repeat(r.size(1 << 20)),
      );
    default:
      return enc.encode(
        JSON.stringify(r.int(1000)) + " " + JSON.stringify("s") + " true null",
      );
  }
}

/**
 * One fuzz case: a single message, a batch (with notifications and
 * responses mixed in, sometimes huge or empty), or raw bytes.
 *
 * @param r The case's PRNG.
 * @param g Shared context.
 * @returns The case.
 */
export function fuzzCase(r: Rng, g: GenContext): Case {
  for (let tries = 0; tries < 8; tries++) {
    const c = anyCase(r, g);
    if (
      c.kind === "raw" || sizeUpTo(c.tree, MAX_BODY_BYTES) <= MAX_BODY_BYTES
    ) {
      return c;
    }
  }
  return { kind: "tree", tree: message(r, g, 0), note: "message" };
}

function anyCase(r: Rng, g: GenContext): Case {
  const x = r.next();
  if (x < 0.1) return { kind: "raw", bytes: rawGarbage(r, g), note: "raw" };
  if (x < 0.25) {
    const n = r.chance(0.03) ? r.pick([0, 1000, 1001, 3000]) : 1 + r.size(30);
    const items: J[] = [];
    for (let i = 0; i < n; i++) {
      const y = r.next();
      if (n > 100) {
        // big batches: cheap calls, so only the batch handling is measured
        items.push(
          envelope(
            num(g.seq()),
            r.pick(["account_version", "rpc_modules"]),
            undefined,
          ),
        );
      } else if (y < 0.1) items.push(inert(r, g.seq()));
      else if (y < 0.2) {
        items.push(envelope(undefined, "account_version", undefined));
      } else if (y < 0.25) items.push(randomScalar(r));
      else if (y < 0.27) items.push(arr([message(r, g)]));
      else items.push(message(r, g));
    }
    return { kind: "tree", tree: arr(items), note: `batch of ${n}` };
  }
  if (x < 0.28) {
    return {
      kind: "tree",
      tree: inert(r, g.seq()),
      note: "response/subscription",
    };
  }
  return { kind: "tree", tree: message(r, g), note: "message" };
}
