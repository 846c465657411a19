import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { fromHex, toHex } from "../_bytes.ts";
import {
  hexToAddressLenient,
  keyFileName,
  parseKeyFileAddress,
  shouldSkipEntry,
} from "./key_dir.ts";

const A = "7ef5a6135f1fd6a02593eedc869c6d41d934aef8";

Deno.test("keyFileName() renders UTC with nine fractional digits", () => {
  strictEqual(
    keyFileName(fromHex(A), new Date(Date.UTC(2016, 2, 22, 12, 57, 55, 920))),
    `UTC--2016-03-22T12-57-55.920000000Z--${A}`,
  );
  strictEqual(
    keyFileName(fromHex(A), new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))),
    `UTC--2024-01-02T03-04-05.006000000Z--${A}`,
  );
  const re = /^UTC--\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{9}Z--[0-9a-f]{40}$/;
  strictEqual(re.test(keyFileName(fromHex(A), new Date())), true);
});

Deno.test("shouldSkipEntry() skips backups, hidden and non-regular files", () => {
  strictEqual(shouldSkipEntry("swapfile~"), true);
  strictEqual(shouldSkipEntry(".hiddenfile"), true);
  strictEqual(shouldSkipEntry(`.UTC--x--${A}.tmp123`), true);
  strictEqual(shouldSkipEntry("foo", false), true);
  strictEqual(shouldSkipEntry("aaa"), false);
  strictEqual(shouldSkipEntry("a~b"), false);
  strictEqual(
    shouldSkipEntry(`UTC--2016-03-22T12-57-55.920751759Z--${A}`),
    false,
  );
});

Deno.test("hexToAddressLenient() follows common.HexToAddress", () => {
  const hex = (s: string) => toHex(hexToAddressLenient(s));
  strictEqual(hex(A), A);
  strictEqual(hex("0x" + A), A);
  strictEqual(hex("0X" + A.toUpperCase()), A);
  strictEqual(hex("abc"), "00".repeat(18) + "0abc");
  strictEqual(hex("ff" + A), A); // longer: keeps the last 20 bytes
  strictEqual(hex("1234zz5678"), "00".repeat(18) + "1234"); // stops at "zz"
  strictEqual(hex(""), "00".repeat(20));
  strictEqual(hex("0x"), "00".repeat(20));
});

Deno.test("parseKeyFileAddress() reads only the address, leniently", () => {
  const addr = (t: string) => {
    const a = parseKeyFileAddress(t);
    return a && toHex(a);
  };
  strictEqual(addr(`{"address":"${A}","crypto":{}}`), A);
  strictEqual(addr(`  {"Address":"0x${A}"}`), A); // case-insensitive key
  strictEqual(addr(`{"ADDRESS":"${A}"}`), A);
  strictEqual(addr(`{"addreſſ":"${A}"}`), A); // Go's Unicode folding
  strictEqual(addr(`{"address":"${A}"} trailing garbage`), A);
  strictEqual(addr(`{"address":"${A}","crypto":5,"id":[1,{"}":"{"}]}`), A);
  strictEqual(addr(`{"address":"1"}`), "00".repeat(19) + "01");
  strictEqual(addr(`{"address":"${"00".repeat(20)}"}`), undefined);
  strictEqual(addr(`{"crypto":{"address":"${A}"}}`), undefined);
  strictEqual(addr(`{"address":null}`), undefined);
  strictEqual(addr(`{"address":12}`), undefined);
  strictEqual(addr(`{"address":"${A}"`), undefined);
  strictEqual(addr(`["${A}"]`), undefined);
  strictEqual(addr(""), undefined);
  strictEqual(addr("This directory contains accounts for testing."), undefined);
  strictEqual(addr("null"), undefined);
});

Deno.test("parseKeyFileAddress() result is 20 bytes", () => {
  deepStrictEqual(parseKeyFileAddress(`{"address":"${A}"}`), fromHex(A));
});
