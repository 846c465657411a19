import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  goQuoteJsonByte,
  JsonNumber,
  JsonStreamDecoder,
  type JsonValue,
  MAX_JSON_DEPTH,
  parseJson,
  quoteJsonString,
  stringifyJson,
} from "./json.ts";

const enc = new TextEncoder();

function syntax(text: string, message: string) {
  throws(() => parseJson(text), (e: unknown) => {
    ok(e instanceof SyntaxError, `${text}: ${e}`);
    strictEqual(e.message, message, text);
    return true;
  });
}

Deno.test("parseJson() keeps number literals", () => {
  const v = parseJson(
    "[1.0,-0,1e3,12345678901234567890123,0.5E-2]",
  ) as JsonNumber[];
  deepStrictEqual(v.map((n) => n.literal), [
    "1.0",
    "-0",
    "1e3",
    "12345678901234567890123",
    "0.5E-2",
  ]);
  ok(v.every((n) => n instanceof JsonNumber));
  strictEqual(v[2].value, 1000);
});

Deno.test("parseJson() parses literals, strings and nesting", () => {
  deepStrictEqual(parseJson(" true "), true);
  deepStrictEqual(parseJson("false"), false);
  deepStrictEqual(parseJson("null"), null);
  deepStrictEqual(
    parseJson('"a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"'),
    'a"\\/\b\f\n\r\té',
  );
  deepStrictEqual(parseJson('"\\ud83d\\ude00"'), "😀");
  deepStrictEqual(parseJson('[[],{},[{"a":[]}]]'), [[], Object.create(null), [
    Object.assign(Object.create(null), { a: [] }),
  ]]);
});

Deno.test("parseJson() replaces lone surrogates with U+FFFD as Go does", () => {
  strictEqual(parseJson('"\\ud800"'), "\ufffd");
  strictEqual(parseJson('"\\udc00x"'), "\ufffdx");
  // A high surrogate followed by a non-low escape keeps the second escape.
  strictEqual(parseJson('"\\ud800\\u0041"'), "\ufffdA");
  strictEqual(parseJson('"a\ud800b"'), "a\ufffdb");
});

Deno.test("parseJson() gives null-prototype objects; later duplicate wins", () => {
  const o = parseJson('{"__proto__":{"x":1},"a":1,"a":"two"}') as Record<
    string,
    unknown
  >;
  strictEqual(Object.getPrototypeOf(o), null);
  ok(Object.hasOwn(o, "__proto__"));
  strictEqual(o.a, "two");
  strictEqual(({} as Record<string, unknown>).x, undefined);
});

Deno.test("parseJson() reports Go's syntax error texts", () => {
  const cases: [string, string][] = [
    ["", "unexpected end of JSON input"],
    ["   ", "unexpected end of JSON input"],
    ["{", "unexpected end of JSON input"],
    ['{"a":', "unexpected end of JSON input"],
    ["[1,", "unexpected end of JSON input"],
    ['"abc', "unexpected end of JSON input"],
    ["tru", "unexpected end of JSON input"],
    ["-", "unexpected end of JSON input"],
    ["1.", "unexpected end of JSON input"],
    ["1e+", "unexpected end of JSON input"],
    ["x", "invalid character 'x' looking for beginning of value"],
    ["'a'", "invalid character '\\'' looking for beginning of value"],
    ["[1,]", "invalid character ']' looking for beginning of value"],
    [
      "{'a':1}",
      "invalid character '\\'' looking for beginning of object key string",
    ],
    [
      '{"a":1,}',
      "invalid character '}' looking for beginning of object key string",
    ],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b"}', "invalid character '\"' after object key:value pair"],
    ["[1 2]", "invalid character '2' after array element"],
    ["1 2", "invalid character '2' after top-level value"],
    ["01", "invalid character '1' after top-level value"],
    ["-a", "invalid character 'a' in numeric literal"],
    ["1.e5", "invalid character 'e' after decimal point in numeric literal"],
    ["1ex", "invalid character 'x' in exponent of numeric literal"],
    ["trux", "invalid character 'x' in literal true (expecting 'e')"],
    ["fals", "unexpected end of JSON input"],
    ["fx", "invalid character 'x' in literal false (expecting 'a')"],
    ["nil", "invalid character 'i' in literal null (expecting 'u')"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ['"\x01"', "invalid character '\\x01' in string literal"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ["\ufeff{}", "invalid character 'ï' looking for beginning of value"],
    ["NaN", "invalid character 'N' looking for beginning of value"],
    ["+1", "invalid character '+' looking for beginning of value"],
    [".5", "invalid character '.' looking for beginning of value"],
  ];
  for (const [text, message] of cases) syntax(text, message);
});

Deno.test("goQuoteJsonByte() quotes bytes like Go's quoteChar", () => {
  strictEqual(goQuoteJsonByte(0x27), "'\\''");
  strictEqual(goQuoteJsonByte(0x22), "'\"'");
  strictEqual(goQuoteJsonByte(0x5c), "'\\\\'");
  strictEqual(goQuoteJsonByte(0x00), "'\\x00'");
  strictEqual(goQuoteJsonByte(0x7f), "'\\x7f'");
  strictEqual(goQuoteJsonByte(0x0b), "'\\v'");
  strictEqual(goQuoteJsonByte(0x85), "'\\u0085'");
  strictEqual(goQuoteJsonByte(0xe2), "'â'");
});

Deno.test("parseJson() accepts 10,000 levels and rejects 10,001", () => {
  const deep = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
  let v = parseJson(deep);
  let depth = 0;
  while (Array.isArray(v)) {
    depth++;
    v = v[0] ?? null;
  }
  strictEqual(depth, MAX_JSON_DEPTH);
  syntax(
    "[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1),
    "invalid character '[' exceeded max depth",
  );
  syntax(
    '{"a":'.repeat(MAX_JSON_DEPTH + 1),
    "invalid character '{' exceeded max depth",
  );
});

Deno.test("parseJson() rejects 100,000-deep nesting without a stack overflow", () => {
  syntax(
    "[".repeat(100000) + "]".repeat(100000),
    "invalid character '[' exceeded max depth",
  );
  // With a higher cap the iterative parser still copes.
  const v = parseJson("[".repeat(100000) + "]".repeat(100000), {
    maxDepth: 200000,
  });
  ok(Array.isArray(v));
  strictEqual(stringifyJson(v).length, 200000);
});

Deno.test("parseJson() rejects numbers that overflow a double", () => {
  for (const lit of ["1e400", "-1e400", "1" + "0".repeat(400)]) {
    throws(() => parseJson(`[${lit}]`), {
      name: "RangeError",
      message:
        `json: cannot unmarshal number ${lit} into Go value of type float64`,
    });
  }
  // Underflow is not an error in Go.
  strictEqual((parseJson("1e-400") as JsonNumber).value, 0);
  // Syntax is checked before number conversion, as Go's checkValid does.
  syntax("[1e400,]", "invalid character ']' looking for beginning of value");
  const kept = parseJson("[1e400]", { allowOverflow: true }) as JsonNumber[];
  strictEqual(kept[0].literal, "1e400");
});

Deno.test("quoteJsonString() escapes as Go's encoder", () => {
  strictEqual(quoteJsonString('<>&"\\'), '"\\u003c\\u003e\\u0026\\"\\\\"');
  strictEqual(
    quoteJsonString("\n\r\t\b\f\x00\x1f\x7f"),
    '"\\n\\r\\t\\b\\f\\u0000\\u001f\x7f"',
  );
  strictEqual(quoteJsonString("\u2028\u2029"), '"\\u2028\\u2029"');
  strictEqual(quoteJsonString("a\ud800b\udc00"), '"a\\ufffdb\\ufffd"');
  strictEqual(quoteJsonString("é😀"), '"é😀"');
});

Deno.test("stringifyJson() writes JsonNumber literals, toJSON, bytes", () => {
  strictEqual(
    stringifyJson({
      n: new JsonNumber("1.50"),
      t: { toJSON: () => "x" },
      d: new Date(0),
      b: new Uint8Array([1, 2, 3]),
      big: 12345678901234567890n,
      u: undefined,
      arr: [undefined, 1, -0],
    }),
    '{"n":1.50,"t":"x","d":"1970-01-01T00:00:00.000Z","b":"AQID","big":12345678901234567890,"arr":[null,1,-0]}',
  );
  strictEqual(stringifyJson(undefined), "null");
  const o: Record<string, unknown> = Object.create(null);
  o["__proto__"] = 1;
  strictEqual(stringifyJson(o), '{"__proto__":1}');
});

Deno.test("stringifyJson() rejects non-finite numbers and cycles", () => {
  throws(() => stringifyJson([Infinity]), {
    message: "json: unsupported value: +Inf",
  });
  throws(() => stringifyJson(NaN), { message: "json: unsupported value: NaN" });
  const c: unknown[] = [];
  c.push(c);
  throws(() => stringifyJson(c), TypeError);
  // A shared (non-cyclic) reference is fine.
  const s = [1];
  strictEqual(stringifyJson([s, s]), "[[1],[1]]");
});

Deno.test("stringifyJson() round-trips parseJson() output", () => {
  const texts = [
    '{"a":[1,2.50,{"b":null}],"c":"\\u003c\\n","d":true}',
    "[]",
    '"x"',
    "-1e-7",
  ];
  for (const t of texts) strictEqual(stringifyJson(parseJson(t)), t);
});

Deno.test("JsonStreamDecoder() splits values in one chunk and across chunks", () => {
  const d = new JsonStreamDecoder();
  deepStrictEqual(d.push(enc.encode('{"a":1}{"b":[1,2]} 12 true"x" [')), [
    '{"a":1}',
    '{"b":[1,2]}',
    "12",
    "true",
    '"x"',
  ]);
  deepStrictEqual(d.push(enc.encode("]3")), ["[]"]);
  deepStrictEqual(d.end(), { values: ["3"], truncated: false });
  // Byte by byte, including a multi-byte character split mid-sequence.
  const text = '{"m":"é😀","n":[1.5e3,{"x":"\\u0041"}]}\n[{}]';
  const d2 = new JsonStreamDecoder();
  const got: string[] = [];
  for (const b of enc.encode(text)) got.push(...d2.push(new Uint8Array([b])));
  deepStrictEqual(got, ['{"m":"é😀","n":[1.5e3,{"x":"\\u0041"}]}', "[{}]"]);
});

Deno.test("JsonStreamDecoder() completes a top-level string or literal on the next byte, as Go's decoder", () => {
  // Go's json.Decoder ends an object or array at its last byte but any
  // other top-level value only when one more byte (or the end) comes: real
  // Clef does not answer a lone "x" until something follows.
  const d = new JsonStreamDecoder();
  deepStrictEqual(d.push(enc.encode('"x"')), []);
  deepStrictEqual(d.push(enc.encode(" ")), ['"x"']);
  deepStrictEqual(d.push(enc.encode("true")), []);
  deepStrictEqual(d.push(enc.encode('{"a":"b"}')), ["true", '{"a":"b"}']);
  deepStrictEqual(d.push(enc.encode("null")), []);
  deepStrictEqual(d.end(), { values: ["null"], truncated: false });
  const e = new JsonStreamDecoder();
  deepStrictEqual(e.push(enc.encode('"a\\"b"')), []);
  deepStrictEqual(e.end(), { values: ['"a\\"b"'], truncated: false });
});

Deno.test("JsonStreamDecoder() reports Go's syntax errors with earlier values", () => {
  const d = new JsonStreamDecoder();
  throws(() => d.push(enc.encode("{} 'a")), (e: unknown) => {
    ok(e instanceof SyntaxError);
    strictEqual(
      e.message,
      "invalid character '\\'' looking for beginning of value",
    );
    deepStrictEqual((e as SyntaxError & { values: string[] }).values, ["{}"]);
    return true;
  });
  // The decoder stays failed.
  throws(() => d.push(enc.encode("{}")), SyntaxError);
  const cases: [string, string][] = [
    ['{"a" 1}', "invalid character '1' after object key"],
    ["[1 2]", "invalid character '2' after array element"],
    ['{"a":1 2}', "invalid character '2' after object key:value pair"],
    ["[1,]", "invalid character ']' looking for beginning of value"],
    ["{,", "invalid character ',' looking for beginning of object key string"],
    ["-x", "invalid character 'x' in numeric literal"],
    ["nulx", "invalid character 'x' in literal null (expecting 'l')"],
    ['"\\q"', "invalid character 'q' in string escape code"],
    ["1x", "invalid character 'x' looking for beginning of value"],
    [
      "[".repeat(MAX_JSON_DEPTH + 1),
      "invalid character '[' exceeded max depth",
    ],
  ];
  for (const [text, message] of cases) {
    throws(
      () => new JsonStreamDecoder().push(enc.encode(text)),
      { message },
      text,
    );
  }
});

Deno.test("JsonStreamDecoder() accepts 10,000 levels", () => {
  const d = new JsonStreamDecoder();
  const v = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
  deepStrictEqual(d.push(enc.encode(v)), [v]);
});

Deno.test("JsonStreamDecoder() caps the buffered value size", () => {
  const d = new JsonStreamDecoder({ maxValueBytes: 100 });
  deepStrictEqual(d.push(enc.encode('"' + "a".repeat(50))), []);
  strictEqual(d.bufferedBytes, 51);
  throws(() => d.push(enc.encode("a".repeat(60))), {
    name: "RangeError",
    message: "message too large: exceeds 100 bytes",
  });
  strictEqual(d.bufferedBytes, 0);
});

Deno.test("JsonStreamDecoder.end() reports a truncated value", () => {
  const d = new JsonStreamDecoder();
  deepStrictEqual(d.push(enc.encode('{"a":')), []);
  deepStrictEqual(d.end(), { values: [], truncated: true });
  deepStrictEqual(new JsonStreamDecoder().end(), {
    values: [],
    truncated: false,
  });
});

/** Small seeded PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 4 ? 4 : 7));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return [0, -1, 1.5, 1e21, 123456789, -0.000001, 2 ** 53][
        Math.floor(r() * 7)
      ];
    case 3:
      return Array.from(
        { length: Math.floor(r() * 6) },
        () => String.fromCharCode(Math.floor(r() * 0x3000)),
      ).join("");
    case 4:
    case 5:
      return Array.from(
        { length: Math.floor(r() * 4) },
        () => randomValue(r, depth + 1),
      );
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) {
        o["k" + Math.floor(r() * 5)] = randomValue(r, depth + 1);
      }
      return o;
    }
  }
}

function plain(v: JsonValue): unknown {
  if (v instanceof JsonNumber) return v.value;
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = plain(v[k]);
    return o;
  }
  return v;
}

Deno.test("parseJson() agrees with JSON.parse on random documents", () => {
  const r = rng(42);
  for (let n = 0; n < 500; n++) {
    const v = randomValue(r, 0);
    const text = JSON.stringify(v, null, n % 2 ? 1 : undefined);
    deepStrictEqual(plain(parseJson(text)), JSON.parse(text), text);
    // Our output parses back to the same value (Go escaping is valid JSON).
    deepStrictEqual(
      JSON.parse(stringifyJson(parseJson(text))),
      JSON.parse(text),
    );
  }
});

Deno.test("parseJson() accepts and rejects what JSON.parse does on mutated text", () => {
  const r = rng(7);
  const alphabet = ' \t\n{}[]:,"\\-+.0123456789eEtruefalsnx\u00e9';
  let rejected = 0;
  for (let n = 0; n < 3000; n++) {
    const base = JSON.stringify(randomValue(r, 0));
    const chars = [...base];
    for (let m = Math.floor(r() * 3) + 1; m > 0; m--) {
      const at = Math.floor(r() * (chars.length + 1));
      const c = alphabet[Math.floor(r() * alphabet.length)];
      const op = r();
      if (op < 0.4) chars.splice(at, 1);
      else if (op < 0.7) chars.splice(at, 0, c);
      else chars[at] = c;
    }
    const text = chars.join("");
    let want = true;
    try {
      JSON.parse(text);
    } catch {
      want = false;
    }
    let got = true;
    try {
      parseJson(text, { allowOverflow: true });
    } catch (e) {
      ok(e instanceof SyntaxError, String(e));
      got = false;
      rejected++;
    }
    strictEqual(got, want, JSON.stringify(text));
  }
  ok(rejected > 500);
});

Deno.test("JsonStreamDecoder() and parseJson() agree on single values", () => {
  const r = rng(99);
  const alphabet = ' {}[]:,"\\-.0123456789etruefalsnx';
  for (let n = 0; n < 2000; n++) {
    const chars = [...JSON.stringify(randomValue(r, 0))];
    if (r() < 0.7) {
      const at = Math.floor(r() * (chars.length + 1));
      chars.splice(
        at,
        r() < 0.5 ? 1 : 0,
        alphabet[Math.floor(r() * alphabet.length)],
      );
    }
    const text = chars.join("");
    let parsed: string | undefined;
    try {
      parseJson(text, { allowOverflow: true });
      parsed = "ok";
    } catch (e) {
      parsed = (e as Error).message;
    }
    const d = new JsonStreamDecoder();
    let streamed: string;
    try {
      const values = [...d.push(enc.encode(text)), ...d.end().values];
      streamed = values.length === 1 && values[0] === text.trim()
        ? "ok"
        : `values ${JSON.stringify(values)}`;
    } catch (e) {
      streamed = (e as Error).message;
    }
    if (parsed === "ok") {
      strictEqual(streamed, "ok", text);
    } else if (
      parsed !== "unexpected end of JSON input" &&
      !parsed.endsWith("after top-level value")
    ) {
      // Same first error, same text (stream-only cases aside).
      strictEqual(streamed, parsed, text);
    }
  }
});
