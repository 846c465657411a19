import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  decodeAddressJson,
  decodeBigJson,
  decodeBytesJson,
  decodeFixedJson,
  decodeHashJson,
  decodeHexBig,
  decodeHexBytes,
  decodeHexUint64,
  decodeMixedcaseAddressJson,
  decodeUint64Json,
  encodeBytes,
  encodeQuantity,
  type FieldContext,
  UnmarshalTypeError,
} from "./hexutil.ts";
import { JsonNumber, type JsonValue } from "../json.ts";

// Cases transcribed from go-ethereum common/hexutil/{hexutil,json}_test.go.
const ctx: FieldContext = { struct: "SendTxArgs", field: "gas" };

function expectMsg(fn: () => unknown, message: string) {
  throws(fn, (e: Error) => {
    strictEqual(e.message, message);
    return true;
  });
}

Deno.test("decodeHexBytes() follows hexutil.Decode", () => {
  const bad: [string, string][] = [
    ["", "empty hex string"],
    ["0", "hex string without 0x prefix"],
    ["0x0", "hex string of odd length"],
    ["0x023", "hex string of odd length"],
    ["0xxx", "invalid hex string"],
    ["0x01zz01", "invalid hex string"],
    ["0xx", "invalid hex string"],
    ["0x0é", "invalid hex string"],
  ];
  for (const [input, msg] of bad) expectMsg(() => decodeHexBytes(input), msg);
  deepStrictEqual(decodeHexBytes("0x"), new Uint8Array());
  deepStrictEqual(decodeHexBytes("0X"), new Uint8Array());
  deepStrictEqual(decodeHexBytes("0X02"), new Uint8Array([2]));
  deepStrictEqual(decodeHexBytes("0xffffffffff"), new Uint8Array(5).fill(255));
});

Deno.test("decodeHexBig() and decodeHexUint64() follow hexutil", () => {
  const bigBad: [string, string][] = [
    ["", "empty hex string"],
    ["0", "hex string without 0x prefix"],
    ["0x", 'hex string "0x"'],
    ["0x01", "hex number with leading zero digits"],
    ["0xx", "invalid hex string"],
    ["0x1zz01", "invalid hex string"],
    ["0x1" + "0".repeat(64), "hex number > 256 bits"],
  ];
  for (const [input, msg] of bigBad) expectMsg(() => decodeHexBig(input), msg);
  strictEqual(decodeHexBig("0xbBb"), 0xbbbn);
  strictEqual(decodeHexBig("0x" + "f".repeat(64)), 2n ** 256n - 1n);
  const u64Bad: [string, string][] = [
    ["0x", 'hex string "0x"'],
    ["0xfffffffffffffffff", "hex number > 64 bits"],
    ["0x1zz01", "invalid hex string"],
    ["0x" + "f".repeat(16) + "z", "invalid hex string"],
    ["0x" + "f".repeat(17) + "z", "hex number > 64 bits"],
  ];
  for (const [input, msg] of u64Bad) {
    expectMsg(() => decodeHexUint64(input), msg);
  }
  strictEqual(decodeHexUint64("0xffffffffffffffff"), 2n ** 64n - 1n);
  strictEqual(decodeHexUint64("0X2F2"), 0x2f2n);
});

Deno.test("decodeUint64Json() gives Go's error texts", () => {
  const T = "hexutil.Uint64";
  const bad: [JsonValue, string][] = [
    [null, "non-string"],
    [new JsonNumber("10"), "non-string"],
    [true, "non-string"],
    ["0", "hex string without 0x prefix"],
    ["0x", 'hex string "0x"'],
    ["0x01", "hex number with leading zero digits"],
    ["0xfffffffffffffffff", "hex number > 64 bits"],
    ["0xx", "invalid hex string"],
    ["0x1zz01", "invalid hex string"],
  ];
  for (const [input, detail] of bad) {
    expectMsg(
      () => decodeUint64Json(input),
      `json: cannot unmarshal ${detail} into Go value of type ${T}`,
    );
    expectMsg(
      () => decodeUint64Json(input, ctx),
      `json: cannot unmarshal ${detail} into Go struct field SendTxArgs.gas of type ${T}`,
    );
  }
  strictEqual(decodeUint64Json(""), 0n);
  strictEqual(decodeUint64Json("0x0"), 0n);
  strictEqual(decodeUint64Json("0X2F2"), 0x2f2n);
  strictEqual(decodeUint64Json("0xffffffffffffffff"), 2n ** 64n - 1n);
});

Deno.test("decodeBigJson() gives Go's error texts", () => {
  const bad: [JsonValue, string][] = [
    [null, "non-string"],
    [new JsonNumber("10"), "non-string"],
    ["0", "hex string without 0x prefix"],
    ["0x", 'hex string "0x"'],
    ["0x01", "hex number with leading zero digits"],
    ["0xx", "invalid hex string"],
    ["0x1zz01", "invalid hex string"],
    ["0x1" + "0".repeat(64), "hex number > 256 bits"],
  ];
  for (const [input, detail] of bad) {
    expectMsg(
      () => decodeBigJson(input, { struct: "SendTxArgs", field: "value" }),
      `json: cannot unmarshal ${detail} into Go struct field SendTxArgs.value of type *hexutil.Big`,
    );
  }
  strictEqual(decodeBigJson(""), 0n);
  strictEqual(decodeBigJson("0xbBb"), 0xbbbn);
  strictEqual(
    decodeBigJson("0x112233445566778899aabbccddeeff"),
    0x112233445566778899aabbccddeeffn,
  );
});

Deno.test("decodeBytesJson() gives Go's error texts", () => {
  const bad: [JsonValue, string][] = [
    [null, "non-string"],
    [new JsonNumber("10"), "non-string"],
    ["0", "hex string without 0x prefix"],
    ["0x0", "hex string of odd length"],
    ["0xxx", "invalid hex string"],
    ["0x01zz01", "invalid hex string"],
    ["0xé", "invalid hex string"], // 2 UTF-8 bytes: even length in Go
  ];
  for (const [input, detail] of bad) {
    expectMsg(
      () => decodeBytesJson(input),
      `json: cannot unmarshal ${detail} into Go value of type hexutil.Bytes`,
    );
  }
  deepStrictEqual(decodeBytesJson(""), new Uint8Array());
  deepStrictEqual(decodeBytesJson("0x"), new Uint8Array());
  deepStrictEqual(decodeBytesJson("0X02"), new Uint8Array([2]));
});

Deno.test("decodeFixedJson() checks prefix, parity, length, then digits", () => {
  const c = { struct: "SendTxArgs", field: "to" };
  expectMsg(
    () => decodeAddressJson(5 as unknown as JsonValue, c),
    "json: cannot unmarshal non-string into Go struct field SendTxArgs.to of type common.Address",
  );
  expectMsg(
    () => decodeAddressJson("11".repeat(20), c),
    "json: cannot unmarshal hex string without 0x prefix into Go struct field SendTxArgs.to of type common.Address",
  );
  expectMsg(
    () => decodeAddressJson("0x123", c),
    "json: cannot unmarshal hex string of odd length into Go struct field SendTxArgs.to of type common.Address",
  );
  expectMsg(
    () => decodeAddressJson("", c),
    "hex string has length 0, want 40 for common.Address",
  );
  expectMsg(
    () => decodeAddressJson("0x" + "zz".repeat(19), c),
    "hex string has length 38, want 40 for common.Address",
  );
  expectMsg(
    () => decodeAddressJson("0x" + "zz".repeat(20), c),
    "json: cannot unmarshal invalid hex string into Go struct field SendTxArgs.to of type common.Address",
  );
  expectMsg(
    () => decodeHashJson("0x00"),
    "hex string has length 2, want 64 for common.Hash",
  );
  expectMsg(
    () => decodeFixedJson("0x00", "kzg4844.Commitment", 48),
    "hex string has length 2, want 96 for kzg4844.Commitment",
  );
  throws(() => decodeHashJson(null), UnmarshalTypeError);
  throws(() => decodeHashJson("0x00"), RangeError);
  strictEqual(decodeHashJson("0x" + "Ab".repeat(32))[31], 0xab);
});

Deno.test("decodeMixedcaseAddressJson() keeps the original spelling", () => {
  const a = decodeMixedcaseAddressJson(
    "0X9160dc9105f7de5dc5e7f3d97ef11da47269bda6",
  );
  strictEqual(a.original, "0X9160dc9105f7de5dc5e7f3d97ef11da47269bda6");
  strictEqual(a.toJSON(), "0x9160dc9105f7de5dc5e7f3d97ef11da47269bda6");
  strictEqual(a.validChecksum, false);
  const b = decodeMixedcaseAddressJson(
    "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6",
  );
  strictEqual(b.validChecksum, true);
});

Deno.test("UnmarshalTypeError.withContext() re-targets the message", () => {
  const e = new UnmarshalTypeError("non-string", "common.Hash", {
    struct: "AccessTuple",
    field: "storageKeys",
  });
  strictEqual(
    e.withContext({ struct: "SendTxArgs", field: "accessList" }).message,
    "json: cannot unmarshal non-string into Go struct field SendTxArgs.accessList of type common.Hash",
  );
  strictEqual(e instanceof TypeError, true);
});

Deno.test("encodeQuantity() and encodeBytes() match hexutil output", () => {
  strictEqual(encodeQuantity(0n), "0x0");
  strictEqual(encodeQuantity(0x2f2n), "0x2f2");
  strictEqual(encodeQuantity(2n ** 256n - 1n), "0x" + "f".repeat(64));
  strictEqual(encodeBytes(new Uint8Array()), "0x");
  strictEqual(encodeBytes(new Uint8Array([0, 0xff])), "0x00ff");
  throws(() => encodeQuantity(-1n), RangeError);
});
