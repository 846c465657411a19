import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { getAddress } from "ethers";
import { fromHex } from "../_bytes.ts";
import {
  type AbiValue,
  decodedCallString,
  newAbiType,
  parseSelector,
  selectorId,
  SelectorPanicError,
  verifySelector,
} from "./abi_decode.ts";

const W = (hex: string) => hex.padStart(64, "0");

// go-ethereum accounts/abi/selector_parser_test.go TestParseSelector.
Deno.test("parseSelector() follows go-ethereum's grammar", () => {
  type M = string | M[] | { arr: M[] };
  const mk = (...types: M[]): unknown[] =>
    types.map((t, i) => {
      const name = `name${i}`;
      if (typeof t === "string") return { name, type: t, components: null };
      if (Array.isArray(t)) {
        return { name, type: "tuple", components: mk(...t) };
      }
      return { name, type: "tuple[]", components: mk(...t.arr) };
    });
  const cases: [string, string, unknown[]][] = [
    ["noargs()", "noargs", []],
    [
      "simple(uint256,uint256,uint256)",
      "simple",
      mk("uint256", "uint256", "uint256"),
    ],
    ["other(uint256,address)", "other", mk("uint256", "address")],
    [
      "withArray(uint256[],address[2],uint8[4][][5])",
      "withArray",
      mk("uint256[]", "address[2]", "uint8[4][][5]"),
    ],
    [
      "singleNest(bytes32,uint8,(uint256,uint256),address)",
      "singleNest",
      mk("bytes32", "uint8", ["uint256", "uint256"], "address"),
    ],
    [
      "multiNest(address,(uint256[],uint256),((address,bytes32),uint256))",
      "multiNest",
      mk("address", ["uint256[]", "uint256"], [
        ["address", "bytes32"],
        "uint256",
      ]),
    ],
    [
      "arrayNest((uint256,uint256)[],bytes32)",
      "arrayNest",
      mk({ arr: ["uint256", "uint256"] }, "bytes32"),
    ],
    [
      "multiArrayNest((uint256,uint256)[],(uint256,uint256)[])",
      "multiArrayNest",
      mk({ arr: ["uint256", "uint256"] }, { arr: ["uint256", "uint256"] }),
    ],
    [
      "singleArrayNestAndArray((uint256,uint256)[],bytes32[])",
      "singleArrayNestAndArray",
      mk({ arr: ["uint256", "uint256"] }, "bytes32[]"),
    ],
    [
      "singleArrayNestWithArrayAndArray((uint256[],address[2],uint8[4][][5])[],bytes32[])",
      "singleArrayNestWithArrayAndArray",
      mk({ arr: ["uint256[]", "address[2]", "uint8[4][][5]"] }, "bytes32[]"),
    ],
  ];
  for (const [input, name, inputs] of cases) {
    const sel = parseSelector(input);
    strictEqual(sel.name, name);
    deepStrictEqual(sel.inputs, inputs, input);
  }
});

Deno.test("parseSelector() error texts", () => {
  const bad: [string, string][] = [
    ["1f()", "failed to parse selector '1f()': invalid token start: 1"],
    ["f(uint256", "failed to parse selector 'f(uint256': expected ')', got ''"],
    ["f()x", "failed to parse selector 'f()x': unexpected string 'x'"],
    [
      "f(,uint256)",
      "failed to parse selector 'f(,uint256)': failed to parse type: failed to parse elementary type: invalid token start: ,",
    ],
    [
      "f(uint256[)",
      "failed to parse selector 'f(uint256[)': failed to parse type: failed to parse array: expected ']', got u",
    ],
    ["f(", "failed to parse selector 'f(': failed to parse type: empty type"],
  ];
  for (const [input, msg] of bad) {
    throws(() => parseSelector(input), { message: msg });
  }
  throws(() => parseSelector("transfer"), SelectorPanicError);
});

// go-ethereum signer/fourbyte/abi_test.go TestMaliciousABIStrings.
Deno.test("verifySelector() rejects malicious selector strings", () => {
  const data = fromHex("4401a6e4" + W("12"));
  for (
    const s of [
      "func(uint256,uint256,[]uint256)",
      "func(uint256,uint256,uint256,)",
      "func(,uint256,uint256,uint256)",
    ]
  ) {
    throws(() => verifySelector(s, data), /failed to parse selector/);
  }
});

// go-ethereum signer/fourbyte/abi_test.go TestNewUnpacker.
Deno.test("verifySelector() decodes static and dynamic arguments", () => {
  const c1 = verifySelector(
    "f(uint256,uint32[],bytes10,bytes)",
    fromHex(
      "8be65246" +
        "00000000000000000000000000000000000000000000000000000000000001230000000000000000000000000000000000000000000000000000000000000080313233343536373839300000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000e0000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000004560000000000000000000000000000000000000000000000000000000000000789000000000000000000000000000000000000000000000000000000000000000d48656c6c6f2c20776f726c642100000000000000000000000000000000000000",
    ),
  );
  const vals = c1.inputs.map((a) => a.value);
  deepStrictEqual(vals[0], { k: "int", v: 0x123n });
  deepStrictEqual(vals[1], {
    k: "list",
    v: [{ k: "int", v: 0x456n }, { k: "int", v: 0x789n }],
  });
  deepStrictEqual(vals[2], {
    k: "bytes",
    v: new TextEncoder().encode("1234567890"),
  });
  deepStrictEqual(vals[3], {
    k: "bytes",
    v: new TextEncoder().encode("Hello, world!"),
  });
  strictEqual(
    decodedCallString(c1),
    "f(uint256: 291,uint32[]: [1110 1929],bytes10: [49 50 51 52 53 54 55 56 57 48],bytes: [72 101 108 108 111 44 32 119 111 114 108 100 33])",
  );

  const sam =
    "a5643bf20000000000000000000000000000000000000000000000000000000000000060000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000a0000000000000000000000000000000000000000000000000000000000000000464617665000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000003";
  const c2 = verifySelector("sam(bytes,bool,uint256[])", fromHex(sam));
  deepStrictEqual(c2.inputs[1].value, { k: "bool", v: true } as AbiValue);
  strictEqual(
    decodedCallString(c2),
    "sam(bytes: [100 97 118 101],bool: true,uint256[]: [1 2 3])",
  );

  const c3 = verifySelector(
    "compareAndApprove(address,uint256,uint256)",
    fromHex(
      "751e107900000000000000000000000000000133700000deadbeef00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
    ),
  );
  strictEqual(
    decodedCallString(c3),
    `compareAndApprove(address: ${
      getAddress("0x00000133700000deadbeef000000000000000000")
    },uint256: 0,uint256: 1)`,
  );
});

// go-ethereum signer/fourbyte/abi_test.go TestCalldataDecoding.
Deno.test("verifySelector() accepts and rejects go-ethereum's calldata cases", () => {
  const sels = [
    "send(uint256)",
    "compareAndApprove(address,uint256,uint256)",
    "issue(address[],uint256)",
    "sam(bytes,bool,uint256[])",
  ];
  const byId = new Map(sels.map((s) => [toHexStr(selectorId(s)), s]));
  function decode(hex: string) {
    const data = fromHex(hex);
    const sel = byId.get(hex.slice(0, 8).toLowerCase()) ?? "send(uint256)";
    return verifySelector(sel, data);
  }
  const fail = [
    "a52c101e00000000000000000000000000000000000000000000000000000000000000120000000000000000000000000000000000000000000000000000000000000042",
    "a52c101e000000000000000000000000000000000000000000000000000000000000001200",
    "a52c101e00000000000000000000000000000000000000000000000000000000000000",
    "a52c101e",
    "a52c10",
    "",
    "751e10790000000000000000000000000000000000000000000000000000000000000012",
    "751e1079FFffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "deadbeef00000000000000000000000000000000000000000000000000000000000000",
    "42958b5400000000000000000000000000000000000000000000000000000000000000120000000000000000000000000000000000000000000000000000000000000042",
    "a52c101e00ff0000000000000000000000000000000000000000000000000000000000120000000000000000000000000000000000000000000000000000000000000042",
    "a5643bf20000000000000000000000000000000000000000000000000000000000000060000000000000000000000000000000000000000000000000000000000000001100000000000000000000000000000000000000000000000000000000000000a0000000000000000000000000000000000000000000000000000000000000000464617665000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000003",
  ];
  for (const hex of fail) throws(() => decode(hex), Error, hex);
  const pass = [
    "a5643bf20000000000000000000000000000000000000000000000000000000000000060000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000a0000000000000000000000000000000000000000000000000000000000000000464617665000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000003",
    "a52c101e0000000000000000000000000000000000000000000000000000000000000012",
    "a52c101eFFffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "751e1079000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "42958b54" + W("40") + W("1") + W("2") + W("dead") + W("beef"),
  ];
  for (const hex of pass) decode(hex);
});

function toHexStr(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test("verifySelector() error texts", () => {
  const send = fromHex("a52c101e" + W("12"));
  throws(() => verifySelector("send(uint256)", send.subarray(0, 3)), {
    message: "invalid call data, incomplete method signature (3 bytes < 4)",
  });
  throws(() => verifySelector("send(uint256)", send.subarray(0, 35)), {
    message:
      "invalid call data; length should be a multiple of 32 bytes (was 31)",
  });
  throws(() => verifySelector("send(uint)", send), {
    message:
      'invalid method signature ("[{\\"name\\":\\"send\\",\\"type\\":\\"function\\",\\"inputs\\":[{\\"Name\\":\\"name0\\",\\"Type\\":\\"uint\\",\\"InternalType\\":\\"uint\\",\\"Components\\":null,\\"Indexed\\":false}]}]"): unsupported arg type: uint',
  });
  throws(() => verifySelector("send(uint8)", send), {
    message: "no method with id: 0xa52c101e",
  });
  throws(
    () =>
      verifySelector("send(uint256)", fromHex("a52c101e" + W("12") + W("42"))),
    {
      message: `WARNING: Supplied data is stuffed with extra data. \nWant ${
        W("12") + W("42")
      }\nHave ${W("12")}\nfor method send(uint256)`,
    },
  );
  const b = fromHex(toHexStr(selectorId("f(bool)")) + W("2"));
  throws(() => verifySelector("f(bool)", b), {
    message:
      'signature "function f(bool name0) returns()" matches, but arguments mismatch: abi: improperly encoded boolean value',
  });
  const u8 = fromHex(toHexStr(selectorId("f(uint8)")) + W("100"));
  throws(() => verifySelector("f(uint8)", u8), {
    message:
      'signature "function f(uint8 name0) returns()" matches, but arguments mismatch: abi: improperly encoded uint8 value',
  });
  const i8 = fromHex(toHexStr(selectorId("f(int8)")) + "f".repeat(64));
  strictEqual(decodedCallString(verifySelector("f(int8)", i8)), "f(int8: -1)");
  // dirty address padding → stuffed
  const addr = fromHex(
    toHexStr(selectorId("f(address)")) + "ff" + "00".repeat(11) +
      "11".repeat(20),
  );
  throws(() => verifySelector("f(address)", addr), /stuffed with extra data/);
  // tuples and strings
  const t = verifySelector(
    "g((uint256,string),bool)",
    fromHex(
      toHexStr(selectorId("g((uint256,string),bool)")) + W("40") + W("1") +
        W("7") + W("40") + W("2") + "6869" + "00".repeat(30),
    ),
  );
  strictEqual(decodedCallString(t), "g((uint256,string): {7 hi},bool: true)");
});

Deno.test("newAbiType() follows go-ethereum's NewType", () => {
  throws(() => newAbiType("uint", null), {
    message: "unsupported arg type: uint",
  });
  throws(() => newAbiType("bytes33", null), {
    message: "unsupported arg type: bytes33",
  });
  throws(() => newAbiType("foo", null), {
    message: "unsupported arg type: foo",
  });
  throws(() => newAbiType("uint256[", null), {
    message: "invalid arg type in abi",
  });
  throws(() => newAbiType("uint256[2a3]", null), {
    message: "invalid formatting of array type",
  });
  strictEqual(newAbiType("uint8[4][][5]", null).str, "uint8[4][][5]");
  ok(newAbiType("function", null).t === "function");
});

Deno.test("verifySelector() caps values decoded from shared offsets", () => {
  // uint256[][]: 2000 outer elements all pointing at one 2000-element array.
  const n = 2000;
  const hex = toHexStr(selectorId("f(uint256[][])")) + W("20") +
    W(n.toString(16)) +
    W((n * 32).toString(16)).repeat(n) + W(n.toString(16)) + W("0").repeat(n);
  throws(() => verifySelector("f(uint256[][])", fromHex(hex)), {
    message:
      'signature "function f(uint256[][] name0) returns()" matches, but arguments mismatch: abi: too many values to decode',
  });
  throws(() => newAbiType("uint8" + "[]".repeat(33), null), {
    message: "abi: type nested too deeply",
  });
});
