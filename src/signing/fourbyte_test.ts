import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { toHex, utf8 } from "../_bytes.ts";
import { parseJsonValue } from "./_test_json.ts";
import { parseSelector, selectorId, verifySelector } from "./abi_decode.ts";
import { FourByteDb, parseCustomDatabase } from "./fourbyte.ts";
import { EMBEDDED_SELECTORS } from "./fourbyte_data.ts";

// go-ethereum signer/fourbyte/fourbyte_test.go TestEmbeddedDatabase, plus
// the curated set's own rule: every id is keccak(text)[0:4].
Deno.test("EMBEDDED_SELECTORS ids are keccak(text)[0:4] and parse", () => {
  ok(EMBEDDED_SELECTORS.length > 100);
  const seen = new Set<string>();
  for (const [id, text] of EMBEDDED_SELECTORS) {
    ok(/^[0-9a-f]{8}$/.test(id), id);
    ok(!seen.has(id), `duplicate ${id}`);
    seen.add(id);
    strictEqual(toHex(keccak_256(utf8(text)).subarray(0, 4)), id, text);
    strictEqual(toHex(selectorId(text)), id, text);
    parseSelector(text);
  }
  for (
    const [id, text] of [
      ["a9059cbb", "transfer(address,uint256)"],
      ["095ea7b3", "approve(address,uint256)"],
      ["23b872dd", "transferFrom(address,address,uint256)"],
      ["d0e30db0", "deposit()"],
      ["2e1a7d4d", "withdraw(uint256)"],
      [
        "6a761202",
        "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
      ],
      ["4401a6e4", "safeSend(address)"],
    ]
  ) {
    strictEqual(new FourByteDb().selector(fromHexId(id)), text);
  }
});

function fromHexId(id: string): Uint8Array {
  return new Uint8Array(id.match(/../g)!.map((x) => parseInt(x, 16)));
}

Deno.test("FourByteDb.selector() looks in embedded, then custom", () => {
  const db = new FourByteDb({
    embedded: [["aabbccdd", "a()"]],
    custom: [["aabbccdd", "b()"], ["11223344", "c()"]],
  });
  strictEqual(db.selector(fromHexId("aabbccdd")), "a()");
  strictEqual(db.selector(fromHexId("1122334455")), "c()");
  throws(() => db.selector(fromHexId("00000000")), {
    message: "signature 00000000 not found",
  });
  throws(() => db.selector(new Uint8Array(3)), {
    message: "expected 4-byte id, got 3",
  });
  deepStrictEqual(db.size, { embedded: 1, custom: 2 });
});

// go-ethereum TestCustomDatabase: add, find, persist.
Deno.test("FourByteDb.addSelector() stores new ids and reports the map", () => {
  const writes: string[] = [];
  const db = new FourByteDb({
    embedded: [],
    onCustomChange: (d) => writes.push(d.customJson()),
  });
  const calldata = fromHexId("a52c101edeadbeef");
  throws(() => db.selector(calldata));
  strictEqual(db.addSelector("send(uint256)", calldata), true);
  strictEqual(db.selector(calldata), "send(uint256)");
  strictEqual(db.addSelector("other()", calldata), false);
  strictEqual(db.addSelector("x()", new Uint8Array(3)), false);
  db.addSelector("z<()", fromHexId("00000001"));
  db.addSelector("y()", fromHexId("ffffffff"));
  strictEqual(writes.length, 3);
  strictEqual(
    writes[2],
    '{"00000001":"z\\u003c()","a52c101e":"send(uint256)","ffffffff":"y()"}',
  );
  // Reload from the written file content.
  const db2 = new FourByteDb({
    embedded: [],
    custom: parseCustomDatabase(parseJsonValue(writes[2])),
  });
  strictEqual(db2.selector(calldata), "send(uint256)");
  strictEqual(db2.selector(fromHexId("00000001")), "z<()");
  // Verified entries decode through the db.
  const data = fromHexId("a52c101e" + "00".repeat(31) + "05");
  strictEqual(verifySelector(db2.selector(data), data).name, "send");
});

Deno.test("parseCustomDatabase() gives Go's errors", () => {
  throws(() => parseCustomDatabase(parseJsonValue("[]")), {
    message:
      "json: cannot unmarshal array into Go value of type map[string]string",
  });
  throws(() => parseCustomDatabase(parseJsonValue('{"a":1}')), {
    message: "json: cannot unmarshal number into Go value of type string",
  });
  deepStrictEqual(parseCustomDatabase(parseJsonValue("null")), []);
  deepStrictEqual(
    parseCustomDatabase(parseJsonValue('{"__proto__":"x()","b":null}')),
    [["__proto__", "x()"]],
  );
});

Deno.test("EMBEDDED_SELECTORS is what scripts/gen_fourbyte.ts generates", async () => {
  const { buildTable } = await import("../../scripts/gen_fourbyte.ts");
  deepStrictEqual(
    EMBEDDED_SELECTORS.map(([id, text]) => [id, text]),
    buildTable(),
  );
});
