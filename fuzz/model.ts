/**
 * The fuzzer's request model: a JSON tree that can also hold what JSON
 * cannot (duplicate keys, exact number literals, raw bytes), its
 * serialiser, and the seeded PRNG every generator draws from.
 *
 * @module
 */

/** A JSON-ish tree: what the fuzzer sends, before serialisation. */
export type J =
  | { k: "obj"; e: [string, J][] }
  | { k: "arr"; a: J[] }
  | { k: "str"; s: string }
  | { k: "num"; t: string }
  | { k: "lit"; t: "true" | "false" | "null" }
  | { k: "raw"; t: string };

/** An object node from key/value pairs (order kept, duplicates allowed). */
export const obj = (e: [string, J][]): J => ({ k: "obj", e });
/** An array node. */
export const arr = (a: J[]): J => ({ k: "arr", a });
/** A string node. */
export const str = (s: string): J => ({ k: "str", s });
/** A number node with this exact literal. */
export const num = (t: string | number | bigint): J => ({
  k: "num",
  t: String(t),
});
/** `null`. */
export const NULL: J = { k: "lit", t: "null" };
/** `true` / `false`. */
export const bool = (b: boolean): J => ({ k: "lit", t: b ? "true" : "false" });

/**
 * Converts a plain JavaScript value (as JSON.parse returns) to a tree.
 *
 * @param v The value.
 * @returns The tree.
 */
export function fromJs(v: unknown): J {
  if (v === null || v === undefined) return NULL;
  if (typeof v === "boolean") return bool(v);
  if (typeof v === "number" || typeof v === "bigint") return num(v);
  if (typeof v === "string") return str(v);
  if (Array.isArray(v)) return arr(v.map(fromJs));
  return obj(Object.entries(v as object).map(([k, x]) => [k, fromJs(x)]));
}

/**
 * Writes the tree as text (raw nodes verbatim).
 *
 * @param j The tree.
 * @returns JSON text (or not, with raw nodes).
 */
export function serialize(j: J): string {
  const out: string[] = [];
  // iterative: trees nest deeper than the call stack allows
  const stack: (J | string)[] = [j];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (typeof n === "string") {
      out.push(n);
      continue;
    }
    switch (n.k) {
      case "obj": {
        out.push("{");
        stack.push("}");
        for (let i = n.e.length - 1; i >= 0; i--) {
          stack.push(n.e[i][1]);
          stack.push((i > 0 ? "," : "") + JSON.stringify(n.e[i][0]) + ":");
        }
        break;
      }
      case "arr": {
        out.push("[");
        stack.push("]");
        for (let i = n.a.length - 1; i >= 0; i--) {
          stack.push(n.a[i]);
          if (i > 0) stack.push(",");
        }
        break;
      }
      case "str":
        out.push(JSON.stringify(n.s));
        break;
      default:
        out.push(n.t);
    }
  }
  return out.join("");
}

/**
 * The serialised size of a tree, counted up to `limit` (mutations share
 * subtrees, so a small tree can stand for a huge text).
 *
 * @param j The tree.
 * @param limit Where to stop counting.
 * @returns The size in UTF-16 units, or a number > limit.
 */
export function sizeUpTo(j: J, limit: number): number {
  let n = 0;
  const stack = [j];
  while (stack.length > 0) {
    const x = stack.pop()!;
    switch (x.k) {
      case "obj":
        n += 2;
        for (const [k, v] of x.e) {
          n += k.length + 4;
          stack.push(v);
        }
        break;
      case "arr":
        n += 2 + x.a.length;
        for (const v of x.a) stack.push(v);
        break;
      case "str":
        n += x.s.length + 2;
        break;
      default:
        n += x.t.length;
    }
    if (n > limit || stack.length > limit) return limit + 1;
  }
  return n;
}

/** True when the tree holds a raw node (its text may not be JSON). */
export function hasRaw(j: J): boolean {
  const stack = [j];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.k === "raw") return true;
    if (n.k === "obj") { for (const [, v] of n.e) stack.push(v); }
    if (n.k === "arr") stack.push(...n.a);
  }
  return false;
}

/** Nesting depth of arrays and objects. */
export function depth(j: J): number {
  let max = 0;
  const stack: [J, number][] = [[j, 0]];
  while (stack.length > 0) {
    const [n, d] = stack.pop()!;
    if (n.k === "obj" || n.k === "arr") {
      if (d + 1 > max) max = d + 1;
      const kids = n.k === "obj" ? n.e.map(([, v]) => v) : n.a;
      for (const c of kids) stack.push([c, d + 1]);
    }
  }
  return max;
}

/** A generated case would be too big to build (shared subtrees copied). */
export class CaseTooLargeError extends RangeError {
  /** @param what What grew too large. */
  constructor(what: string) {
    super(`case too large: ${what}`);
    this.name = "CaseTooLargeError";
  }
}

/** Largest number of nodes {@linkcode clone} copies. */
export const MAX_CLONE_NODES = 500_000;

/**
 * A deep copy (iterative).
 *
 * @throws {CaseTooLargeError} beyond {@linkcode MAX_CLONE_NODES} nodes.
 */
export function clone(j: J): J {
  let nodes = 0;
  const copy = (n: J): J =>
    n.k === "obj"
      ? { k: "obj", e: n.e.map(([k, v]) => [k, v]) }
      : n.k === "arr"
      ? { k: "arr", a: [...n.a] }
      : { ...n };
  const root = copy(j);
  const stack: J[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (++nodes > MAX_CLONE_NODES) throw new CaseTooLargeError("clone");
    if (n.k === "obj") {
      for (const pair of n.e) {
        pair[1] = copy(pair[1]);
        stack.push(pair[1]);
      }
    } else if (n.k === "arr") {
      for (let i = 0; i < n.a.length; i++) {
        n.a[i] = copy(n.a[i]);
        stack.push(n.a[i]);
      }
    }
  }
  return root;
}

/** A seeded PRNG (mulberry32) with the helpers the generators need. */
export class Rng {
  #a: number;
  /** @param seed 32-bit seed. */
  constructor(seed: number) {
    this.#a = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.#a = (this.#a + 0x6d2b79f5) >>> 0;
    let t = this.#a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** One element. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  /** Random bytes. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** Random lowercase hex digits. */
  hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[this.int(16)];
    return s;
  }
  /** A size skewed towards small values, up to `max`. */
  size(max: number): number {
    const r = this.next();
    if (r < 0.6) return this.int(Math.min(max, 8) + 1);
    if (r < 0.9) return this.int(Math.min(max, 256) + 1);
    if (r < 0.98) return this.int(Math.min(max, 65536) + 1);
    return this.int(max + 1);
  }
}

/**
 * The seed of one case: a hash of the campaign seed, a stream name and the
 * case index, so any case can be regenerated alone.
 *
 * @param seed Campaign seed.
 * @param stream E.g. `ipc`, `http`, `parsers`.
 * @param index Case number in that stream.
 * @returns A 32-bit seed.
 */
export function caseSeed(seed: number, stream: string, index: number): number {
  let h = 0x811c9dc5 ^ seed;
  const s = `${stream}:${index}`;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  h ^= Math.imul(seed >>> 16 | 1, 0x9e3779b1);
  return h >>> 0;
}

/** Hex of bytes, no prefix. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Bytes of hex (no prefix, even length). */
export function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}
