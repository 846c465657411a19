import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { decodeTypedData, hashTypedData, type TypedData } from "./eip712.ts";
import { formatPrimitive, formatTypedData } from "./eip712_format.ts";
import { compareGoStrings, goFormatFloat, goS, goV } from "./_go_fmt.ts";
import { JsonNumber, parseJson } from "../json.ts";

function td(json: string): TypedData {
  return decodeTypedData(parseJson(json));
}

const DOMAIN = `"EIP712Domain":[{"name":"name","type":"string"}]`;
function withTypes(types: string, message: string): TypedData {
  return td(
    `{"types":{${DOMAIN},${types}},"primaryType":"M","domain":{"name":"n"},"message":${message}}`,
  );
}
function primary(data: TypedData): unknown {
  return formatTypedData(data)[1].value;
}

Deno.test("formatTypedData() renders the Mail example like clef", () => {
  const data = decodeTypedData(parseJson(Deno.readTextFileSync(
    new URL("../../testdata/eip712/inline/mail_standard.json", import.meta.url),
  )));
  const out = formatTypedData(data);
  strictEqual(
    JSON.stringify(out),
    JSON.stringify([
      {
        name: "EIP712Domain",
        value: [
          { name: "name", value: "Ether Mail", type: "string" },
          { name: "version", value: "1", type: "string" },
          { name: "chainId", value: "1 (0x1)", type: "uint256" },
          {
            name: "verifyingContract",
            value: "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
            type: "address",
          },
        ],
        type: "domain",
      },
      {
        name: "Mail",
        value: [
          {
            name: "from",
            value: [
              { name: "name", value: "Cow", type: "string" },
              {
                name: "wallet",
                value: "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826",
                type: "address",
              },
            ],
            type: "Person",
          },
          {
            name: "to",
            value: [
              { name: "name", value: "Bob", type: "string" },
              {
                name: "wallet",
                value: "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB",
                type: "address",
              },
            ],
            type: "Person",
          },
          { name: "contents", value: "Hello, Bob!", type: "string" },
        ],
        type: "primary type",
      },
    ]),
  );
});

Deno.test("formatTypedData() refuses non-empty primitive arrays (clef limitation)", () => {
  const cases: [string, string, string][] = [
    ["uint256[]", "[1]", "invalid size on integer: 256[]"],
    ["uint[]", "[1]", "invalid size on integer: []"],
    ["int8[2]", "[1,2]", "invalid size on integer: 8[2]"],
    [
      "address[]",
      '["0x0000000000000000000000000000000000000001"]',
      "unhandled type address[]",
    ],
    ["bool[]", "[true]", "unhandled type bool[]"],
    ["string[]", '["a"]', "unhandled type string[]"],
  ];
  for (const [type, value, msg] of cases) {
    const data = withTypes(
      `"M":[{"name":"a","type":"${type}"}]`,
      `{"a":${value}}`,
    );
    hashTypedData(data); // hashing alone accepts it
    throws(() => formatTypedData(data), { message: msg }, type);
    // empty arrays and non-arrays show null
    deepStrictEqual(
      primary(withTypes(`"M":[{"name":"a","type":"${type}"}]`, `{"a":[]}`)),
      [{ name: "a", value: null, type }],
    );
  }
  // arrays of bytes / bytesN are formatted with Go's %s of the whole array
  deepStrictEqual(
    primary(
      withTypes(
        `"M":[{"name":"a","type":"bytes[]"},{"name":"b","type":"bytes2[]"}]`,
        `{"a":["0x01","0x02"],"b":["0x0102"]}`,
      ),
    ),
    [
      { name: "a", value: "[0x01 0x02]", type: "bytes[]" },
      { name: "b", value: "[0x0102]", type: "bytes2[]" },
    ],
  );
});

Deno.test("formatTypedData() shows only the last struct of an array", () => {
  const out = primary(withTypes(
    `"M":[{"name":"p","type":"P[]"},{"name":"q","type":"P"},{"name":"r","type":"P[]"}],"P":[{"name":"x","type":"uint8"}]`,
    `{"p":[{"x":1},{"x":2}],"q":"nope","r":7}`,
  ));
  deepStrictEqual(out, [
    {
      name: "p",
      value: [{ name: "x", value: "2 (0x2)", type: "uint8" }],
      type: "P[]",
    },
    { name: "q", value: "<nil>", type: "P" },
    { name: "r", value: null, type: "P[]" },
  ]);
  // a non-object element is formatted as an empty object
  throws(
    () =>
      formatTypedData(
        withTypes(
          `"M":[{"name":"p","type":"P[]"}],"P":[{"name":"x","type":"uint8"}]`,
          `{"p":[5]}`,
        ),
      ),
    { message: "invalid integer value <nil>/<nil> for type uint8" },
  );
  // undeclared primary type and empty structs give null
  strictEqual(
    formatTypedData(
      td(`{"types":{${DOMAIN}},"primaryType":"X","domain":{"name":"n"}}`),
    )[1].value,
    null,
  );
});

Deno.test("formatPrimitive() reproduces Go %s, %d and address rendering", () => {
  strictEqual(formatPrimitive("int8", -5), "-5 (-0x5)");
  strictEqual(formatPrimitive("uint256", "0"), "0 (0x0)");
  strictEqual(formatPrimitive("uint8", new JsonNumber("3")), "3 (0x3)");
  strictEqual(formatPrimitive("string", new JsonNumber("5")), "%!s(float64=5)");
  strictEqual(formatPrimitive("string", null), "%!s(<nil>)");
  strictEqual(formatPrimitive("bytes32", true), "%!s(bool=true)");
  strictEqual(
    formatPrimitive("bytes", parseJson(`{"b":[1,null],"a":"x"}`)),
    "map[a:x b:[%!s(float64=1) <nil>]]",
  );
  strictEqual(formatPrimitive("bool", false), "false");
  throws(() => formatPrimitive("bool", "true"), {
    message: "could not format value true as bool",
  });
  throws(() => formatPrimitive("address", 1), {
    message: "could not format value 1 as address",
  });
  // lenient address parsing: odd length, short, long, junk
  strictEqual(
    formatPrimitive("address", "0x1"),
    "0x0000000000000000000000000000000000000001",
  );
  strictEqual(
    formatPrimitive("address", "0xff" + "00".repeat(19) + "01"),
    "0x0000000000000000000000000000000000000001",
  );
  strictEqual(
    formatPrimitive("address", "zz"),
    "0x0000000000000000000000000000000000000000",
  );
  strictEqual(
    formatPrimitive("address", "0x12zz"),
    "0x0000000000000000000000000000000000000012",
  );
  throws(() => formatPrimitive("Foo", 1), { message: "unhandled type Foo" });
});

Deno.test("formatTypedData() shows a chainId declared as a string like Go's %s of *big.Int", () => {
  const data = td(
    `{"types":{"EIP712Domain":[{"name":"chainId","type":"string"}]},"domain":{"chainId":1},"primaryType":"EIP712Domain"}`,
  );
  strictEqual(
    (formatTypedData(data)[0].value as { value: string }[])[0].value,
    "&{%!s(bool=false) [%!s(big.Word=1)]}",
  );
  throws(() => hashTypedData(data), {
    message: "provided data '&{false [1]}' doesn't match type 'string'",
  });
  const big = td(
    `{"types":{"EIP712Domain":[{"name":"chainId","type":"address"}]},"domain":{"chainId":"-18446744073709551617"}}`,
  );
  throws(() => formatTypedData(big), {
    message: "could not format value &{true [1 1]} as address",
  });
});

Deno.test("goFormatFloat() matches Go's %v for float64", () => {
  const cases: [number, string][] = [
    [5, "5"],
    [27845, "27845"],
    [123456, "123456"],
    [1e6, "1e+06"],
    [1234567, "1.234567e+06"],
    [255.3, "255.3"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [-0, "-0"],
    [1e21, "1e+21"],
    [2 ** 63, "9.223372036854776e+18"],
    [-1.5e-7, "-1.5e-07"],
    [1e100, "1e+100"],
  ];
  for (const [v, s] of cases) strictEqual(goFormatFloat(v), s, s);
});

Deno.test("goV() and goS() sort map keys bytewise and nest", () => {
  const v = parseJson(
    `{"b":1,"B":true,"\u00e9":null,"\ud83d\ude80":[],"a":{"z":"s"}}`,
  );
  strictEqual(
    goV(v),
    "map[B:true a:map[z:s] b:1 \u00e9:<nil> \ud83d\ude80:[]]",
  );
  strictEqual(
    goS(v),
    "map[B:%!s(bool=true) a:map[z:s] b:%!s(float64=1) \u00e9:<nil> \ud83d\ude80:[]]",
  );
  // U+FFFF sorts before U+1F680 in Go (UTF-8 order), unlike UTF-16 order
  strictEqual(compareGoStrings("\uffff", "\ud83d\ude80") < 0, true);
});
