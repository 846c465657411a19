import { strictEqual, throws } from "node:assert/strict";
import { JsonNumber } from "../json.ts";
import {
  goIsPrint,
  goJsonStringify,
  goQuote,
  goSanitize,
  goTrimSpace,
} from "./go_format.ts";

// Vectors from Go's strconv quote tests (quotetests) and fmt %q behaviour.
const QUOTE_VECTORS: [string | Uint8Array, string][] = [
  ["\x07\b\f\r\n\t\v", '"\\a\\b\\f\\r\\n\\t\\v"'],
  ["\\", '"\\\\"'],
  ['"', '"\\""'],
  ["\u263a", '"\u263a"'],
  ["\u{10ffff}", '"\\U0010ffff"'],
  ["\x04", '"\\x04"'],
  ["\x1b[31m", '"\\x1b[31m"'],
  ["!\u00a0!\u2000!\u3000!", '"!\\u00a0!\\u2000!\\u3000!"'],
  ["\x7f", '"\\x7f"'],
  ["\u200b\ufeff", '"\\u200b\\ufeff"'],
  ["\u0085", '"\\u0085"'],
  ["", '""'],
  ["Mozilla/5.0 (X11)", '"Mozilla/5.0 (X11)"'],
  ["日本語", '"日本語"'],
  ["\u{1f600}", '"\u{1f600}"'],
  [new Uint8Array([0x61, 0xff, 0x62]), '"a\\xffb"'],
  // overlong, surrogate and truncated sequences are invalid byte by byte
  [new Uint8Array([0xc0, 0xaf]), '"\\xc0\\xaf"'],
  [new Uint8Array([0xed, 0xa0, 0x80]), '"\\xed\\xa0\\x80"'],
  [new Uint8Array([0xe2, 0x82]), '"\\xe2\\x82"'],
  [new Uint8Array([0xf4, 0x90, 0x80, 0x80]), '"\\xf4\\x90\\x80\\x80"'],
];

Deno.test("goQuote() matches Go strconv.Quote vectors", () => {
  for (const [input, want] of QUOTE_VECTORS) {
    strictEqual(goQuote(input), want, `input ${JSON.stringify(input)}`);
  }
});

Deno.test("goQuote() quotes the EIP-191 prefix as clef's raw data line", () => {
  const raw = new TextEncoder().encode(
    "\x19Ethereum Signed Message:\n11hello world",
  );
  strictEqual(
    goQuote(raw),
    '"\\x19Ethereum Signed Message:\\n11hello world"',
  );
});

Deno.test("goIsPrint() follows unicode.IsPrint", () => {
  strictEqual(goIsPrint(0x20), true);
  strictEqual(goIsPrint(0x7e), true);
  strictEqual(goIsPrint(0x09), false);
  strictEqual(goIsPrint(0xa0), false);
  strictEqual(goIsPrint(0xad), false); // soft hyphen, Cf
  strictEqual(goIsPrint(0xe9), true);
  strictEqual(goIsPrint(0x0301), true); // combining mark
});

Deno.test("goSanitize() truncates by bytes and appends ...", () => {
  strictEqual(goSanitize("a".repeat(200), 200), `"${"a".repeat(200)}"`);
  strictEqual(goSanitize("a".repeat(201), 200), `"${"a".repeat(200)}"...`);
  // a 2-byte rune cut in half shows its first byte as \xNN
  strictEqual(goSanitize("ab\u00e9", 3), '"ab\\xc3"...');
});

Deno.test("goTrimSpace() trims Go white space, not U+FEFF", () => {
  strictEqual(goTrimSpace('\u00a0\u00a0x [t]: "v"\n'), 'x [t]: "v"');
  strictEqual(goTrimSpace("\u0085\u2028 x \u3000"), "x");
  strictEqual(goTrimSpace("\ufeff"), "\ufeff");
  strictEqual(goTrimSpace("   "), "");
});

Deno.test("goJsonStringify() escapes like encoding/json", () => {
  strictEqual(
    goJsonStringify('<a&b>\u2028\u2029\x01\b\f\n\r\t"\\'),
    '"\\u003ca\\u0026b\\u003e\\u2028\\u2029\\u0001\\b\\f\\n\\r\\t\\"\\\\"',
  );
  strictEqual(goJsonStringify("\ud800x"), '"\\ufffdx"');
  strictEqual(goJsonStringify("\u{1f600}"), '"\u{1f600}"');
  strictEqual(
    goJsonStringify({
      n: new JsonNumber("1.50"),
      b: 10n,
      u: undefined,
      z: null,
    }),
    '{"n":1.50,"b":10,"z":null}',
  );
  strictEqual(goJsonStringify([1e21, 1e-7, 0.5]), "[1e+21,1e-07,0.5]");
  throws(() => goJsonStringify(NaN), TypeError);
});

Deno.test("goJsonStringify() indents like MarshalIndent", () => {
  const v = { type: "0x0", list: [{ a: 1 }, []], o: {}, s: "x" };
  strictEqual(
    goJsonStringify(v, { prefix: "  ", indent: "  " }),
    '{\n    "type": "0x0",\n    "list": [\n      {\n        "a": 1\n      },\n      []\n    ],\n    "o": {},\n    "s": "x"\n  }',
  );
  strictEqual(
    goJsonStringify([1], { indent: "\t" }),
    "[\n\t1\n]",
  );
});
