import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { TypedDataEncoder } from "ethers";
import { concat, to0xHex, utf8 } from "../_bytes.ts";
import { StaveError } from "../errors.ts";
import { JsonNumber, parseJson } from "../json.ts";
import {
  decodeTypedData,
  domainMap,
  encodePrimitive,
  encodeType,
  HandlerCrashError,
  hashStruct,
  hashTypedData,
  isPrimitiveType,
  MAX_EIP712_DEPTH,
  MAX_EIP712_TYPE_ENCODING,
  parseTypedInteger,
  type TypedData,
  TypedDataDecodeError,
  typeHash,
} from "./eip712.ts";
import { formatTypedData } from "./eip712_format.ts";
import { buildTypedDataRequest } from "./sign_data.ts";
import { MixedcaseAddress } from "../address.ts";

const ADDRESS = new MixedcaseAddress(
  new Uint8Array(20),
  "0x" + "00".repeat(20),
);
const root = new URL("../../testdata/eip712/", import.meta.url);

function load(url: URL): TypedData {
  return decodeTypedData(parseJson(Deno.readTextFileSync(url)));
}

function td(json: string): TypedData {
  return decodeTypedData(parseJson(json));
}

/** Errors clef reports for go-ethereum's expfail files (signing.md §3.7). */
const EXPECTED_FAILURES: Record<string, { api: string; hash: string }> = {
  "expfail_arraytype_overload.json": {
    api: "provided data 'map[baz:foo]' doesn't match type 'Person[]'",
    hash: "provided data 'map[baz:foo]' doesn't match type 'Person[]'",
  },
  "expfail_datamismatch_1.json": {
    api: "provided data 'Hello, Bob!' doesn't match type 'Person'",
    hash: "provided data 'Hello, Bob!' doesn't match type 'Person'",
  },
  "expfail_extradata.json": {
    api: "there is extra data provided in the message (3 < 4)",
    hash: "there is extra data provided in the message (3 < 4)",
  },
  "expfail_malformeddomainkeys.json": {
    api: "could not format value <nil> as address",
    hash: "provided data '<nil>' doesn't match type 'address'",
  },
  "expfail_nonexistant_type.json": {
    api: "unhandled type Blahonga",
    hash: 'reference type "Blahonga" is undefined',
  },
  "expfail_nonexistant_type2.json": {
    api:
      "invalid size on integer: 256 ... and now for something completely different",
    hash:
      'reference type "uint256 ... and now for something completely different" is undefined',
  },
  "expfail_toolargeuint.json": {
    api: "integer larger than 'uint8'",
    hash: "integer larger than 'uint8'",
  },
  "expfail_toolargeuint2.json": {
    api: "integer larger than 'uint8'",
    hash: "integer larger than 'uint8'",
  },
  "expfail_unconvertiblefloat.json": {
    api: 'invalid hex or decimal integer "255.3"',
    hash: 'invalid hex or decimal integer "255.3"',
  },
  "expfail_unconvertiblefloat2.json": {
    api: "invalid float value 255.3 for type uint8",
    hash: "invalid float value 255.3 for type uint8",
  },
  "expfail_missing_field.json": {
    api: "invalid integer value <nil>/<nil> for type uint8",
    hash: "invalid integer value <nil>/<nil> for type uint8",
  },
};

/** Digests ethers v6 computes, when it accepts the input (independent oracle). */
function ethersHashes(
  json: string,
): { domain: string; message: string } | null {
  // ethers rewrites bare `uint`/`int` to `uint256`/`int256` in the type
  // encoding; clef (and EIP-712 strictly) keep the text: no oracle there.
  if (/"u?int(\[[0-9]*\])*"/.test(json)) return null;
  const v = JSON.parse(json);
  const types = { ...v.types };
  const domainFields = types.EIP712Domain;
  delete types.EIP712Domain;
  try {
    const domain = TypedDataEncoder.from({ EIP712Domain: domainFields })
      .hashStruct("EIP712Domain", v.domain);
    const message = TypedDataEncoder.from(types).hashStruct(
      v.primaryType,
      v.message,
    );
    return { domain, message };
  } catch {
    return null;
  }
}

const expected = JSON.parse(
  Deno.readTextFileSync(new URL("inline/expected.json", root)),
);

let ethersChecked = 0;
for (const sub of ["", "inline/"]) {
  for (const { name, isFile } of Deno.readDirSync(new URL(sub, root))) {
    if (!isFile || !name.endsWith(".json") || name === "expected.json") {
      continue;
    }
    Deno.test(`hashTypedData() ${sub}${name}`, () => {
      const text = Deno.readTextFileSync(new URL(sub + name, root));
      const data = decodeTypedData(parseJson(text));
      const failure = EXPECTED_FAILURES[name];
      if (name.startsWith("expfail")) {
        ok(failure, `no expected error recorded for ${name}`);
        throws(() => hashTypedData(data), { message: failure.hash });
        // through account_signTypedData: Format runs first, then hashing
        throws(() => buildTypedDataRequest(ADDRESS, data), {
          message: failure.api,
        });
        return;
      }
      const h = hashTypedData(data);
      strictEqual(h.rawData.length, 66);
      deepStrictEqual(
        h.digest,
        keccak_256(
          concat(new Uint8Array([0x19, 1]), h.domainSeparator, h.messageHash),
        ),
      );
      const want = expected[name]?.digest;
      if (want) strictEqual(to0xHex(h.digest), want);
      const eth = ethersHashes(text);
      if (eth) {
        strictEqual(to0xHex(h.domainSeparator), eth.domain);
        strictEqual(to0xHex(h.messageHash), eth.message);
        ethersChecked++;
      }
    });
  }
}

Deno.test("hashTypedData() is cross-checked against ethers for most vector files", () => {
  // eip712.json, custom_arraytype.json, complex*.json, mail, gnosis_typed*
  ok(ethersChecked >= 5, `only ${ethersChecked} files checked by ethers`);
});

for (const { name } of Deno.readDirSync(new URL("fuzzing/", root))) {
  Deno.test(`hashTypedData() fuzzing regression ${name} fails cleanly`, () => {
    const data = load(new URL("fuzzing/" + name, root));
    // go-ethereum only requires no crash/hang; every one of these is invalid
    // except the two that are array files.
    for (const f of [() => hashTypedData(data), () => formatTypedData(data)]) {
      try {
        f();
      } catch (e) {
        ok(e instanceof TypeError || e instanceof RangeError, String(e));
      }
    }
  });
}

const apitypes = JSON.parse(
  Deno.readTextFileSync(new URL("apitypes/typed-data.json", root)),
);
Deno.test(`hashTypedData() apitypes/typed-data.json: ${apitypes.length} random cases`, () => {
  const cases = parseJson(
    Deno.readTextFileSync(new URL("apitypes/typed-data.json", root)),
  ) as Record<string, never>[];
  strictEqual(cases.length, 123);
  let checked = 0;
  for (const c of cases) {
    const data = decodeTypedData(
      Object.assign(Object.create(null), {
        types: c.types,
        primaryType: c.primaryType,
        domain: c.domain,
        message: c.data,
      }),
    );
    const h = hashTypedData(data);
    strictEqual(to0xHex(h.digest), c.digest, c.name);
    const raw = apitypes.find((x: { name: string }) => x.name === c.name);
    const eth = ethersHashes(JSON.stringify({
      types: raw.types,
      primaryType: raw.primaryType,
      domain: raw.domain,
      message: raw.data,
    }));
    if (eth) {
      strictEqual(to0xHex(h.domainSeparator), eth.domain, c.name);
      strictEqual(to0xHex(h.messageHash), eth.message, c.name);
      checked++;
    }
  }
  strictEqual(checked, 123); // ethers accepts every case
});

Deno.test("hashStruct() reproduces go-ethereum's Mail vectors", () => {
  const data = load(new URL("inline/mail_standard.json", root));
  const want = expected["mail_standard.json"];
  strictEqual(encodeType(data, "Mail"), want.encodeType);
  strictEqual(
    encodeType(data, "EIP712Domain"),
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
  );
  strictEqual(to0xHex(typeHash(data, "Mail")), want.typeHash);
  strictEqual(to0xHex(hashStruct(data, "Mail", data.message)), want.hashStruct);
  strictEqual(
    to0xHex(hashStruct(data, "EIP712Domain", domainMap(data.domain))),
    want.domainSeparator,
  );
});

Deno.test("encodeType() sorts dependencies bytewise (uppercase first)", () => {
  const data = td(`{"types":{"EIP712Domain":[{"name":"name","type":"string"}],
    "Z":[{"name":"b","type":"b"},{"name":"a","type":"A[]"},{"name":"z","type":"Z[]"}],
    "b":[{"name":"x","type":"uint8"}],"A":[{"name":"y","type":"b"}]},
    "primaryType":"Z","domain":{"name":"n"},"message":{}}`);
  strictEqual(
    encodeType(data, "Z"),
    "Z(b b,A[] a,Z[] z)A(b y)b(uint8 x)",
  );
  strictEqual(encodeType(data, "Nope"), "");
});

Deno.test("decodeTypedData() follows Go JSON rules", () => {
  const data = td(
    `{"TYPES":{"EIP712Domain":[{"NAME":"name","Type":"string"}]},"primarytype":"X","Domain":{"Name":"n","chainid":"0x10","extra":1},"unknown":true}`,
  );
  deepStrictEqual(data.types.get("EIP712Domain"), [{
    name: "name",
    type: "string",
  }]);
  strictEqual(data.primaryType, "X");
  strictEqual(data.domain.name, "n");
  strictEqual(data.domain.chainId, 16n);
  // chainId: exact number literal, decimal or hex string, "" = 0, ≤ 256 bits
  strictEqual(
    td(`{"domain":{"chainId":12345678901234567890123}}`).domain.chainId,
    12345678901234567890123n,
  );
  strictEqual(td(`{"domain":{"chainId":""}}`).domain.chainId, 0n);
  throws(() => td(`{"domain":{"chainId":1.0}}`), {
    message: 'invalid hex or decimal integer "1.0"',
  });
  throws(() => td(`{"domain":{"chainId":"0x"}}`), {
    message: 'invalid hex or decimal integer "0x"',
  });
  throws(
    () => td(`{"domain":{"chainId":"0x1${"0".repeat(64)}"}}`),
    TypedDataDecodeError,
  );
  // type errors: the first one in document order, after reading everything
  throws(() => decodeTypedData("x"), {
    message:
      "json: cannot unmarshal string into Go value of type apitypes.TypedData",
  });
  throws(() => td(`{"primaryType":1,"types":2}`), {
    message:
      "json: cannot unmarshal number into Go struct field TypedData.primaryType of type string",
  });
  throws(() => td(`{"types":{"A":"x"}}`), {
    message:
      "json: cannot unmarshal string into Go struct field TypedData.types of type []apitypes.Type",
  });
  throws(() => td(`{"types":{"A":[{"name":5}]}}`), {
    message:
      "json: cannot unmarshal number into Go struct field Type.types.name of type string",
  });
  throws(() => td(`{"domain":{"salt":[]}}`), {
    message:
      "json: cannot unmarshal array into Go struct field TypedDataDomain.domain.salt of type string",
  });
  throws(() => td(`{"message":[]}`), {
    message:
      "json: cannot unmarshal array into Go struct field TypedData.message of type map[string]interface {}",
  });
  // a bad chainId aborts at once and wins over an earlier type error
  throws(() => td(`{"primaryType":1,"domain":{"chainId":"z"}}`), {
    message: 'invalid hex or decimal integer "z"',
  });
});

const DOMAIN = `"EIP712Domain":[{"name":"name","type":"string"}]`;
function withTypes(types: string, message: string, primary = "M"): TypedData {
  return td(
    `{"types":{${DOMAIN},${types}},"primaryType":"${primary}","domain":{"name":"n"},"message":${message}}`,
  );
}

Deno.test("hashTypedData() validates types with clef's messages", () => {
  const cases: [string, string][] = [
    [`"":[]`, "empty type key"],
    [`"M":[{"name":"a","type":""}]`, 'type "M":0: empty Type'],
    [`"M":[{"name":"","type":"uint8"}]`, 'type "M":0: empty Name'],
    [`"M":[{"name":"a","type":"M"}]`, 'type "M" cannot reference itself'],
    [`"M":[{"name":"a","type":"Foo"}]`, 'reference type "Foo" is undefined'],
    [
      `"M":[{"name":"a","type":"N[x]"}],"N":[]`,
      'unknown reference type "N[x]"',
    ],
    [
      `"M":[{"name":"a","type":"uint7"}]`,
      'reference type "uint7" is undefined',
    ],
  ];
  for (const [types, msg] of cases) {
    throws(() => hashTypedData(withTypes(types, "{}")), { message: msg }, msg);
  }
  // the part after "[" of a primitive is not checked; M[] inside M is fine
  ok(isPrimitiveType("uint256[abc]"));
  hashTypedData(
    withTypes(
      `"M":[{"name":"a","type":"uint256[abc]"},{"name":"m","type":"M[]"}]`,
      `{"a":[],"m":[]}`,
    ),
  );
  throws(() => hashTypedData(td(`{"types":{${DOMAIN}}}`)), {
    message: "domain is undefined",
  });
  // undeclared EIP712Domain with a non-empty domain
  throws(
    () => hashTypedData(td(`{"types":{},"domain":{"name":"n","version":"1"}}`)),
    {
      message: "there is extra data provided in the message (0 < 2)",
    },
  );
  // declared field whose value is absent from the domain map
  throws(
    () =>
      hashTypedData(
        td(
          `{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"salt","type":"bytes32"}]},"domain":{"name":"n"}}`,
        ),
      ),
    {
      message: "provided data '<nil>' doesn't match type 'bytes32'",
    },
  );
});

Deno.test("encodePrimitive() follows clef's value rules", () => {
  const addr = encodePrimitive(
    "address",
    "0X0102030405060708090a0B0C0D0E0F1011121314",
  );
  strictEqual(
    to0xHex(addr),
    "0x0000000000000000000000000102030405060708090a0b0c0d0e0f1011121314",
  );
  for (
    const bad of [
      "0x01",
      "",
      null,
      "0x000102030405060708090A0B0C0D0E0F1011121314",
    ]
  ) {
    throws(() => encodePrimitive("address", bad), TypeError);
  }
  throws(() => encodePrimitive("bool", "true"), {
    message: "provided data 'true' doesn't match type 'bool'",
  });
  strictEqual(encodePrimitive("bool", false)[31], 0);
  deepStrictEqual(encodePrimitive("string", "a"), keccak_256(utf8("a")));
  deepStrictEqual(encodePrimitive("bytes", "0x"), keccak_256(new Uint8Array()));
  throws(() => encodePrimitive("bytes", "1234"), {
    message: "provided data '1234' doesn't match type 'bytes'",
  });
  throws(() => encodePrimitive("bytes", "0x01233"), TypeError);
  strictEqual(
    to0xHex(encodePrimitive("bytes1", "0x01")),
    "0x01" + "00".repeat(31),
  );
  throws(() => encodePrimitive("bytes1", "0x0102"), TypeError);
  throws(() => encodePrimitive("bytes20", "0x"), TypeError);
  throws(() => encodePrimitive("bytesX", "0x"), {
    message: "invalid size on bytes: X",
  });
  throws(() => encodePrimitive("bytes33", "0x"), {
    message: "invalid size on bytes: 33",
  });
  throws(() => encodePrimitive("foo", 1), {
    message: "unrecognized type 'foo'",
  });
  strictEqual(to0xHex(encodePrimitive("int8", -1)), "0x" + "ff".repeat(32));
  strictEqual(
    encodePrimitive("uint256", new JsonNumber("27845"))[31],
    27845 & 0xff,
  );
  throws(() => encodePrimitive("uint8", true), {
    message: "invalid integer value true/bool for type uint8",
  });
  throws(() => encodePrimitive("uint8", [1]), {
    message: "invalid integer value [1]/[]interface {} for type uint8",
  });
});

Deno.test("parseTypedInteger() follows clef's integer rules", () => {
  strictEqual(parseTypedInteger("int32", "-123"), -123n);
  strictEqual(parseTypedInteger("uint32", "0xff"), 255n);
  strictEqual(parseTypedInteger("uint", ""), 0n);
  throws(() => parseTypedInteger("uint32", "-123"), {
    message: "invalid negative value for unsigned type uint32",
  });
  throws(() => parseTypedInteger("int8", "0xffff"), {
    message: "integer larger than 'int8'",
  });
  // signed types are only checked by magnitude (int8 accepts 255)
  strictEqual(parseTypedInteger("int8", 255), 255n);
  throws(() => parseTypedInteger("uint64", 2 ** 63), {
    message: "invalid float value 9.223372036854776e+18 for type uint64",
  });
  strictEqual(parseTypedInteger("int64", -(2 ** 63)), -(2n ** 63n));
  throws(() => parseTypedInteger("uint8", 1.5), {
    message: "invalid float value 1.5 for type uint8",
  });
  throws(() => parseTypedInteger("uint8", null), {
    message: "invalid integer value <nil>/<nil> for type uint8",
  });
  throws(() => parseTypedInteger("uintx", 1), {
    message: "invalid size on integer: x",
  });
  throws(() => parseTypedInteger("uint8", "1e3"), {
    message: 'invalid hex or decimal integer "1e3"',
  });
  throws(() => parseTypedInteger("uint", "0x1" + "0".repeat(64)), TypeError);
});

Deno.test("hashTypedData() arrays: nesting, struct items, sizes not enforced", () => {
  const data = withTypes(
    `"M":[{"name":"a","type":"uint8[2]"},{"name":"b","type":"bytes[][]"},{"name":"p","type":"P[]"}],"P":[{"name":"x","type":"bool"}]`,
    `{"a":[1,2,3],"b":[["0x01"],[]],"p":[{"x":true}]}`,
  );
  hashTypedData(data);
  throws(
    () =>
      hashTypedData(
        withTypes(`"M":[{"name":"a","type":"uint8[]"}]`, `{"a":5}`),
      ),
    {
      message: "provided data '5' doesn't match type 'uint8[]'",
    },
  );
  throws(
    () =>
      hashTypedData(
        withTypes(`"M":[{"name":"p","type":"P[]"}],"P":[]`, `{"p":[1]}`),
      ),
    {
      message: "provided data '1' doesn't match type 'P'",
    },
  );
  // a null item crashes clef's handler: -32603 method handler crashed
  const e = (() => {
    try {
      hashTypedData(
        withTypes(`"M":[{"name":"a","type":"uint8[]"}]`, `{"a":[null]}`),
      );
    } catch (e) {
      return e;
    }
  })();
  ok(e instanceof HandlerCrashError && e instanceof StaveError);
  strictEqual(e.code, -32603);
  strictEqual(e.message, "method handler crashed");
});

Deno.test("hashTypedData() refuses nesting deeper than MAX_EIP712_DEPTH", () => {
  const deep = "[".repeat(MAX_EIP712_DEPTH + 2) +
    "]".repeat(MAX_EIP712_DEPTH + 2);
  throws(
    () =>
      hashTypedData(
        withTypes(`"M":[{"name":"a","type":"uint8[]"}]`, `{"a":${deep}}`),
      ),
    RangeError,
  );
  const ok1 = "[".repeat(MAX_EIP712_DEPTH - 1) +
    "]".repeat(MAX_EIP712_DEPTH - 1);
  hashTypedData(
    withTypes(`"M":[{"name":"a","type":"uint8[]"}]`, `{"a":${ok1}}`),
  );
});

Deno.test("hashTypedData() hashes many struct items with many declared types", () => {
  // clef re-validates all types at every struct; stave caches the result.
  const types = Array.from(
    { length: 200 },
    (_, i) => `"T${i}":[{"name":"x","type":"uint8"}]`,
  ).join(",");
  const items = Array.from({ length: 20000 }, (_, i) => `{"x":${i % 256}}`)
    .join(",");
  const data = withTypes(
    `"M":[{"name":"p","type":"T0[]"}],${types}`,
    `{"p":[${items}]}`,
  );
  strictEqual(hashTypedData(data).digest.length, 32);
});

Deno.test("hashTypedData() handles huge arrays and deep values in error texts", () => {
  const items = new Array(200_000).fill("1").join(",");
  const big = withTypes(
    `"M":[{"name":"a","type":"uint8[]"}]`,
    `{"a":[${items}]}`,
  );
  strictEqual(hashTypedData(big).digest.length, 32);
  // Go prints the whole value in the error; deep values must not overflow
  const deep = "[".repeat(9000) + "]".repeat(9000);
  throws(
    () =>
      hashTypedData(
        withTypes(`"M":[{"name":"a","type":"uint8"}]`, `{"a":${deep}}`),
      ),
    {
      message: `invalid integer value ${
        deep.replaceAll("][", "] [")
      }/[]interface {} for type uint8`,
    },
  );
});

Deno.test("hashTypedData() caps the total size of type encodings", () => {
  // 200 types of 200 fields, each referencing the others: every type
  // encoding holds all 40,000 fields (~0.5 MB). Hashing one per type would
  // grow with the square of the input, so the total is capped.
  const n = 200;
  const types = Array.from(
    { length: n },
    (_, i) =>
      `"T${i}":[${
        Array.from(
          { length: n },
          (_, j) => `{"name":"f${j}","type":"T${(i + j + 1) % n}[]"}`,
        ).join(",")
      }]`,
  ).join(",");
  const fields = Array.from(
    { length: n },
    (_, i) => `{"name":"t${i}","type":"T${i}"}`,
  ).join(",");
  const obj = `{${
    Array.from({ length: n }, (_, j) => `"f${j}":[]`).join(",")
  }}`;
  const all = withTypes(
    `"M":[${fields}],${types}`,
    `{${Array.from({ length: n }, (_, i) => `"t${i}":${obj}`).join(",")}}`,
  );
  const one = encodeType(all, "T0").length;
  ok(one > 400_000 && n * one > MAX_EIP712_TYPE_ENCODING);
  throws(() => hashTypedData(all), {
    message:
      `typed data type encodings exceed ${MAX_EIP712_TYPE_ENCODING} characters`,
  });
});
