import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { parseJson } from "../src/json.ts";
import {
  arr,
  caseSeed,
  NULL,
  num,
  obj,
  Rng,
  serialize,
  sizeUpTo,
  str,
} from "./model.ts";
import { fuzzCase, type GenContext } from "./mutate.ts";
import { type AnswerStats, check, expect, fateOf } from "./oracle.ts";

const call = (id: ReturnType<typeof num>, method = "account_version") =>
  obj([["jsonrpc", str("2.0")], ["id", id], ["method", str(method)]]);

function stats(): AnswerStats {
  return { internal: 0, timeouts: 0, batchTooLarge: 0 };
}

Deno.test("fateOf() follows geth: Go's key folding, last member wins, non-strings skipped", () => {
  deepStrictEqual(fateOf(call(num(1))).kind, "call");
  // ſ folds to S and K (Kelvin) to K in Go; dotless ı is not I
  strictEqual(
    fateOf(obj([["J\u017fONRPC", str("2.0")], ["ID", num(1)], [
      "method",
      str("m_x"),
    ]])).kind,
    "call",
  );
  deepStrictEqual(
    fateOf(obj([["jsonrpc", str("2.0")], ["\u0131d", num(1)], [
      "method",
      str("m_x"),
    ]])),
    { kind: "silent" }, // no id: a notification
  );
  // a number for jsonrpc keeps the earlier string
  strictEqual(
    fateOf(obj([["jsonrpc", str("2.0")], ["jsonrpc", num(2)], ["id", num(1)], [
      "method",
      str("m_x"),
    ]])).kind,
    "call",
  );
  // object id → invalid with id null; response → dropped
  deepStrictEqual(
    fateOf(obj([["jsonrpc", str("2.0")], ["id", obj([])], [
      "method",
      str("m_x"),
    ]])),
    { kind: "invalid", id: null },
  );
  deepStrictEqual(
    fateOf(obj([["jsonrpc", str("2.0")], ["id", num(1)], ["result", NULL]])),
    { kind: "silent" },
  );
  deepStrictEqual(fateOf(num(5)), { kind: "invalid", id: null });
});

Deno.test("check() catches a wrong id echo, a missing answer and counts -32603", () => {
  const e = expect(call(num("1.0")));
  const ok1 = check(
    e,
    [parseJson('{"jsonrpc":"2.0","id":1.0,"result":"6.1.0"}')],
    stats(),
  );
  deepStrictEqual(ok1.problems, []);
  const bad = check(
    e,
    [parseJson('{"jsonrpc":"2.0","id":1,"result":"6.1.0"}')],
    stats(),
  );
  ok(bad.problems[0].includes("echoed"), bad.problems.join());
  ok(check(e, [], stats()).problems.length > 0);
  const st = stats();
  const internal = check(e, [
    parseJson(
      '{"jsonrpc":"2.0","id":1.0,"error":{"code":-32603,"message":"method handler crashed"}}',
    ),
  ], st);
  deepStrictEqual(internal.internal, ["method handler crashed"]);
  strictEqual(st.internal, 1);
  // a lone surrogate id is echoed raw and decodes to U+FFFD on both sides
  const sur = expect(call(str("\ud800x")));
  deepStrictEqual(
    check(
      sur,
      [parseJson('{"jsonrpc":"2.0","id":"\\ud800x","result":1}')],
      stats(),
    ).problems,
    [],
  );
});

Deno.test("check() on batches: order, notifications left out, empty batch", () => {
  const b = arr([
    call(num(1)),
    obj([["jsonrpc", str("2.0")], ["method", str("account_version")]]),
    num(7),
  ]);
  const e = expect(b);
  const good = parseJson(
    '[{"jsonrpc":"2.0","id":1,"result":"6.1.0"},{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request"}}]',
  );
  deepStrictEqual(check(e, [good], stats()).problems, []);
  const short = parseJson('[{"jsonrpc":"2.0","id":1,"result":"6.1.0"}]');
  ok(check(e, [short], stats()).problems.length > 0);
  deepStrictEqual(expect(arr([])), { kind: "emptyBatch" });
  deepStrictEqual(
    expect(arr([obj([["jsonrpc", str("2.0")], ["method", str("a_b")]])])),
    {
      kind: "none",
    },
  );
});

Deno.test("fuzzCase() is a function of the seed and index, and bounded in size", () => {
  const gen = (i: number): GenContext => {
    let seq = i * 100_000;
    let h = 1_000_000n + BigInt(i) * 64n;
    return {
      address: "0x71562b71999873DB5b286dF957af199Ec94617F7",
      chainHex: "0x4",
      seq: () => ++seq,
      nextHeight: () => h++,
    };
  };
  for (let i = 0; i < 200; i++) {
    const a = fuzzCase(new Rng(caseSeed(9, "case", i)), gen(i));
    const b = fuzzCase(new Rng(caseSeed(9, "case", i)), gen(i));
    const text = (c: typeof a) =>
      c.kind === "raw" ? new TextDecoder().decode(c.bytes) : serialize(c.tree);
    strictEqual(text(a), text(b), `case ${i}`);
    if (a.kind === "tree") {
      ok(sizeUpTo(a.tree, 7 << 20) <= 6 << 20, `case ${i}`);
    }
  }
});
