import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import type { JsonNumber } from "../json.ts";
import {
  formatUuid,
  goDecodeStruct,
  goHexDecode,
  goParseUuid,
  goQuoteByte,
  parseJsonKeepNumbers,
} from "./_go.ts";

Deno.test("goHexDecode() decodes and words errors as encoding/hex", () => {
  deepStrictEqual(goHexDecode("00ffAB"), new Uint8Array([0, 255, 0xab]));
  deepStrictEqual(goHexDecode(""), new Uint8Array());
  const cases: [string, string][] = [
    ["0g", "encoding/hex: invalid byte: U+0067 'g'"],
    ["g0", "encoding/hex: invalid byte: U+0067 'g'"],
    ["0x00", "encoding/hex: invalid byte: U+0078 'x'"],
    ["000", "encoding/hex: odd length hex string"],
    ["00z", "encoding/hex: invalid byte: U+007A 'z'"],
    ["0\u0000", "encoding/hex: invalid byte: U+0000"],
    ["0 ", "encoding/hex: invalid byte: U+0020 ' '"],
    ["0é", "encoding/hex: invalid byte: U+00C3 'Ã'"], // first UTF-8 byte
  ];
  for (const [input, message] of cases) {
    throws(() => goHexDecode(input), { name: "SyntaxError", message });
  }
});

Deno.test("goParseUuid() accepts google/uuid's four forms", () => {
  const want = "3198bc9c-6672-5ab3-d995-4942343ae5b6";
  for (
    const s of [
      want,
      want.toUpperCase(),
      `{${want}}`,
      `urn:uuid:${want}`,
      `URN:UUID:${want}`,
      want.replaceAll("-", ""),
    ]
  ) {
    strictEqual(formatUuid(goParseUuid(s)), want, s);
  }
  throws(() => goParseUuid(""), { message: "invalid UUID length: 0" });
  throws(() => goParseUuid(`urx:uuid:${want}`), {
    message: 'invalid urn prefix: "urx:uuid:"',
  });
  throws(() => goParseUuid(want.replace("-", "+")), {
    message: "invalid UUID format",
  });
  throws(() => goParseUuid("z".repeat(32)), { message: "invalid UUID format" });
});

Deno.test("goQuoteByte() renders a byte as Go's %q", () => {
  strictEqual(goQuoteByte(0x58), "'X'");
  strictEqual(goQuoteByte(0x0a), "'\\n'");
  strictEqual(goQuoteByte(0x00), "'\\x00'");
  strictEqual(goQuoteByte(0x7f), "'\\x7f'");
  strictEqual(goQuoteByte(0x27), "'\\''");
  strictEqual(goQuoteByte(0x22), "'\"'");
  strictEqual(goQuoteByte(0xa0), "'\\u00a0'");
  strictEqual(goQuoteByte(0xad), "'\\u00ad'");
  strictEqual(goQuoteByte(0xe9), "'é'");
});

Deno.test("goDecodeStruct() reports the first type error in document order", () => {
  const s = {
    type: "p.T",
    fields: {
      a: "string" as const,
      n: "int" as const,
      inner: { type: "p.U", fields: { b: "string" as const } },
    },
  };
  const v = parseJsonKeepNumbers('{"n":"x","a":1}');
  throws(() => goDecodeStruct(v, s), {
    message:
      "json: cannot unmarshal string into Go struct field T.n of type int",
  });
  throws(() => goDecodeStruct(parseJsonKeepNumbers('{"inner":{"B":[]}}'), s), {
    message:
      "json: cannot unmarshal array into Go struct field U.inner.b of type string",
  });
  throws(() => goDecodeStruct(parseJsonKeepNumbers('{"n":1e2}'), s), {
    message:
      "json: cannot unmarshal number 1e2 into Go struct field T.n of type int",
  });
  throws(() => goDecodeStruct(parseJsonKeepNumbers("true"), s), {
    message: "json: cannot unmarshal bool into Go value of type p.T",
  });
  deepStrictEqual(
    goDecodeStruct(
      parseJsonKeepNumbers('{"A":"x","N":-7,"extra":{},"inner":null}'),
      s,
    ),
    { a: "x", n: -7, inner: { b: "" } },
  );
});

Deno.test("parseJsonKeepNumbers() keeps number literals", () => {
  const v = parseJsonKeepNumbers('{"a":3.0}') as { a: JsonNumber };
  strictEqual(v.a.literal, "3.0");
  throws(() => parseJsonKeepNumbers("  "), {
    message: "unexpected end of JSON input",
  });
});
