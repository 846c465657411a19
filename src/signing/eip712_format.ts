/**
 * clef's EIP-712 display formatter (`TypedData.Format`, spec signing.md
 * §3.6): the `messages` shown to UIs and rules for typed data, including
 * clef's limitation that a non-empty array of integers, addresses, bools
 * or strings cannot be formatted (so such typed data is refused).
 *
 * @module
 */
import { toChecksumAddress } from "../address.ts";
import type { NameValueType } from "../ui/ui.ts";
import { goS, goV, type GoValue, isGoMap } from "./_go_fmt.ts";
import { hexToAddress } from "./_go_hex.ts";
import {
  baseTypeName,
  domainMap,
  MAX_EIP712_DEPTH,
  parseTypedInteger,
  type TypedData,
  type TypedDataMessage,
} from "./eip712.ts";

/**
 * clef's `formatPrimitiveValue`: the display string of a primitive value.
 *
 * @param type The declared type (for arrays, clef passes the array type).
 * @param value The value.
 * @returns The display string.
 * @throws {TypeError | RangeError} e.g. `could not format value <nil> as address`,
 * `unhandled type address[]`, `invalid size on integer: 256[]`.
 *
 * @example Usage
 * ```ts
 * import { formatPrimitive } from "./eip712_format.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(formatPrimitive("int8", -5), "-5 (-0x5)");
 * ```
 */
export function formatPrimitive(type: string, value: GoValue): string {
  switch (type) {
    case "address":
      if (typeof value !== "string") {
        throw new TypeError(`could not format value ${goV(value)} as address`);
      }
      return toChecksumAddress(hexToAddress(value));
    case "bool":
      if (typeof value !== "boolean") {
        throw new TypeError(`could not format value ${goV(value)} as bool`);
      }
      return String(value);
    case "bytes":
    case "string":
      return goS(value);
  }
  if (type.startsWith("bytes")) return goS(value);
  if (type.startsWith("uint") || type.startsWith("int")) {
    const b = parseTypedInteger(type, value);
    const hex = b < 0n ? "-0x" + (-b).toString(16) : "0x" + b.toString(16);
    return `${b} (${hex})`;
  }
  throw new TypeError(`unhandled type ${type}`);
}

function formatData(
  td: TypedData,
  primaryType: string,
  data: TypedDataMessage,
  depth: number,
): NameValueType[] | null {
  if (depth > MAX_EIP712_DEPTH) {
    throw new RangeError(
      `typed data nested too deeply (more than ${MAX_EIP712_DEPTH} levels)`,
    );
  }
  const out: NameValueType[] = [];
  for (const field of td.types.get(primaryType) ?? []) {
    const v: GoValue = Object.prototype.hasOwnProperty.call(data, field.name)
      ? data[field.name]
      : null;
    let value: unknown = null;
    if (field.type.indexOf("[") > 0) {
      const items = Array.isArray(v) ? v : [];
      const base = baseTypeName(field.type);
      if (td.types.get(base) != null) {
        // Each element overwrites the previous one: only the last is shown.
        for (const item of items) {
          value = formatData(
            td,
            base,
            isGoMap(item) ? item : Object.create(null),
            depth + 1,
          );
        }
      } else if (items.length > 0) {
        // clef formats the whole array with the array type, once per item;
        // the result is the same each time, so compute it once.
        value = formatPrimitive(field.type, v);
      }
    } else if (td.types.get(field.type) != null) {
      value = isGoMap(v) ? formatData(td, field.type, v, depth + 1) : "<nil>";
    } else {
      value = formatPrimitive(field.type, v);
    }
    out.push({ name: field.name, value, type: field.type });
  }
  return out.length > 0 ? out : null; // Go's nil slice: JSON null
}

/**
 * clef's `TypedData.Format`: the two display entries (domain, primary type)
 * of a typed-data signing request.
 *
 * @param td Decoded typed data.
 * @returns `[{name:"EIP712Domain",value,type:"domain"}, {name:<primaryType>,value,type:"primary type"}]`.
 * @throws {TypeError | RangeError} clef's formatting errors (signing.md §3.6).
 *
 * @example Usage
 * ```ts
 * import { formatTypedData } from "./eip712_format.ts";
 * import { decodeTypedData } from "./eip712.ts";
 * import { parseJson } from "../json.ts";
 * import { strictEqual } from "node:assert/strict";
 * const td = decodeTypedData(parseJson('{"types":{"EIP712Domain":[{"name":"name","type":"string"}]},"domain":{"name":"x"},"primaryType":"EIP712Domain"}'));
 * strictEqual(formatTypedData(td)[0].type, "domain");
 * ```
 */
export function formatTypedData(td: TypedData): NameValueType[] {
  const domain = formatData(td, "EIP712Domain", domainMap(td.domain), 1);
  const primary = formatData(td, td.primaryType, td.message, 1);
  return [
    { name: "EIP712Domain", value: domain, type: "domain" },
    { name: td.primaryType, value: primary, type: "primary type" },
  ];
}
