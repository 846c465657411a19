/**
 * The differential corpus: requests sent byte for byte to real Clef and to
 * stave over IPC (and a sample over HTTP). Generated deterministically (a
 * seeded PRNG, the vector files in testdata/), so every run sends the same
 * bytes in the same order.
 *
 * @module
 */
import { join } from "node:path";
import {
  computeAddress,
  encodeRlp,
  getAddress,
  hashMessage,
  Signature,
  SigningKey,
  toBeHex,
} from "ethers";
import {
  cliqueHeader,
  cliqueRlp,
  hexOfText,
  seededRandom,
} from "../_daemon.ts";
import { RAW_KEY_ADDRESS, RAW_KEY_HEX, ROOT, SECOND_KEY_HEX } from "./_clef.ts";

/** One request of the corpus. */
export interface Case {
  /** Unique, stable name (used by the expected-difference table). */
  name: string;
  /** The exact bytes sent (a JSON text, or deliberately broken bytes). */
  body: string | Uint8Array;
  /** Also sent over HTTP in the HTTP sample. */
  http?: boolean;
  /**
   * Go's rpc server answers nothing (notifications, response-shaped
   * messages, an unterminated batch): only a short wait after the
   * sentinel's answer. Every other case waits for its answer.
   */
  silent?: boolean;
  /** Sent with no sentinel after it: what comes within 1.5 s. */
  alone?: boolean;
}

const SILENT = new Set([
  "notify-version",
  "notify-list",
  "notify-unknown",
  "notify-badparams",
  "notify-sign",
  "response-shaped",
  "error-shaped",
  "batch-all-notify",
  "malformed-4",
]);

/** Address of the key Clef imported. */
export const A = RAW_KEY_ADDRESS;
/** Address of the key stave imported. */
export const B = computeAddress("0x" + SECOND_KEY_HEX);
/** An address with no key. */
export const UNKNOWN = "0x1111111111111111111111111111111111111111";

const req = (
  method: string,
  params?: unknown,
  id: unknown = 1,
): string => {
  const m: Record<string, unknown> = { jsonrpc: "2.0", id, method };
  if (params !== undefined) m.params = params;
  return JSON.stringify(m);
};

function personalSign(hexKey: string, message: Uint8Array): string {
  const sig = new SigningKey("0x" + hexKey).sign(hashMessage(message));
  return Signature.from(sig).serialized; // v 27/28
}

const readJson = (rel: string) =>
  JSON.parse(Deno.readTextFileSync(join(ROOT, "testdata", rel)));
const listDir = (rel: string) =>
  [...Deno.readDirSync(join(ROOT, "testdata", rel))]
    .filter((e) => e.isFile && !e.name.endsWith(".md")).map((e) => e.name)
    .sort();

/**
 * Builds the whole corpus (same output on every call).
 *
 * @returns The cases, in sending order.
 */
export function buildCorpus(): Case[] {
  const out: Case[] = [];
  const add = (
    name: string,
    body: string | Uint8Array,
    http = false,
    alone = false,
  ) => {
    if (out.some((c) => c.name === name)) throw new Error(`duplicate ${name}`);
    out.push({ name, body, http, silent: SILENT.has(name), alone });
  };
  const rnd = seededRandom(0x5eed);
  const randHex = (n: number) =>
    "0x" +
    Array.from({ length: n }, () =>
      Math.floor(rnd() * 256).toString(16).padStart(2, "0")).join("");

  // ---------------------------------------------------------------- envelope
  add("version", req("account_version"), true);
  add("list", req("account_list"), true);
  const versions: [string, unknown][] = [
    ["1.0", "1.0"],
    ["2", "2"],
    ["num2", 2],
    ["num2.0", 2.0],
    ["null", null],
    ["empty", ""],
    ["space", "2.0 "],
    ["obj", {}],
  ];
  for (const [n, v] of versions) {
    add(
      `jsonrpc-${n}`,
      JSON.stringify({ jsonrpc: v, id: 1, method: "account_version" }),
      n === "1.0",
    );
  }
  add("jsonrpc-missing", '{"id":1,"method":"account_version"}', true);
  add(
    "jsonrpc-upper-key",
    '{"JSONRPC":"2.0","ID":7,"METHOD":"account_version"}',
  );
  add(
    "jsonrpc-dup-key",
    '{"jsonrpc":"1.0","jsonrpc":"2.0","id":1,"method":"account_version"}',
  );
  const ids = [
    "0",
    "-1",
    "1.5",
    "1.50",
    "1e3",
    "1E+3",
    "-0",
    "18446744073709551616",
    "123456789012345678901234567890",
    '"str"',
    '""',
    '"\\u00e9\\n"',
    '"é"',
    "null",
    "true",
    "false",
    "{}",
    '{"a":1}',
    "[]",
    "[1]",
  ];
  ids.forEach((id, i) => {
    add(
      `id-${i}-${id}`,
      `{"jsonrpc":"2.0","id":${id},"method":"account_version"}`,
      i % 4 === 0,
    );
  });
  const methods = [
    '""',
    "1",
    "null",
    '"account_Version"',
    '"ACCOUNT_VERSION"',
    '"account_version "',
    '"account_"',
    '"account"',
    '"_version"',
    '"account_nope"',
    '"clef_listAccounts"',
    '"clef_New"',
    '"ui_approveTx"',
    '"rpc_modules"',
    '"eth_accounts"',
    '"account_list_subscribe"',
    '"account_subscribe"',
    '"account_unsubscribe"',
    '"a.b"',
    '"account.version"',
  ];
  methods.forEach((m, i) => {
    add(
      `method-${i}-${m}`,
      `{"jsonrpc":"2.0","id":1,"method":${m}}`,
      i % 5 === 0,
    );
  });
  add("method-missing", '{"jsonrpc":"2.0","id":1}', true);
  const paramForms = [
    "null",
    "[]",
    "{}",
    '"x"',
    "1",
    "[null]",
    "[1]",
    "[[]]",
    "true",
  ];
  for (const [i, p] of paramForms.entries()) {
    add(
      `params-version-${i}-${p}`,
      `{"jsonrpc":"2.0","id":1,"method":"account_version","params":${p}}`,
    );
    add(
      `params-list-${i}-${p}`,
      `{"jsonrpc":"2.0","id":1,"method":"account_list","params":${p}}`,
    );
  }
  add(
    "extra-field",
    '{"jsonrpc":"2.0","id":1,"method":"account_version","extra":[1,2]}',
  );
  add(
    "result-field",
    '{"jsonrpc":"2.0","id":1,"method":"account_version","result":1}',
  );
  add("response-shaped", '{"jsonrpc":"2.0","id":1,"result":"0x"}');
  add(
    "error-shaped",
    '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m"}}',
  );
  add(
    "leading-ws",
    ' \t\r\n{"jsonrpc":"2.0","id":1,"method":"account_version"}',
  );
  add(
    "trailing-ws",
    '{"jsonrpc":"2.0","id":1,"method":"account_version"}\n\n\t ',
  );
  add(
    "pretty",
    JSON.stringify(
      { jsonrpc: "2.0", id: 1, method: "account_version" },
      null,
      2,
    ),
  );
  add(
    "two-back-to-back",
    req("account_version", undefined, 1) + req("account_list", undefined, 2),
  );
  add(
    "two-newline",
    req("account_version", undefined, 1) + "\n" +
      req("account_version", undefined, 2),
  );
  // notifications (no id): no answer, also for errors
  add("notify-version", '{"jsonrpc":"2.0","method":"account_version"}', true);
  add("notify-list", '{"jsonrpc":"2.0","method":"account_list"}');
  add("notify-unknown", '{"jsonrpc":"2.0","method":"account_nope"}');
  add(
    "notify-badparams",
    '{"jsonrpc":"2.0","method":"account_version","params":[1]}',
  );
  add(
    "notify-sign",
    JSON.stringify({
      jsonrpc: "2.0",
      method: "account_signData",
      params: ["text/plain", A, "0x01"],
    }),
  );
  add("notify-v1", '{"jsonrpc":"1.0","method":"account_version"}');
  // non-object requests
  for (
    const [i, v] of ['"x"', "1", "1.5", "true", "false", "null", '""', "-7"]
      .entries()
  ) {
    add(`nonobject-${i}-${v}`, v, i < 2);
  }

  // alone on the connection: Go's json.Decoder completes a top-level
  // object or array at its last byte, a scalar only when one more byte comes
  for (
    const [n, v] of [
      ["object", req("account_version")],
      ["batch", `[${req("account_version")}]`],
      ["string", '"x"'],
      ["number", "1"],
      ["true", "true"],
      ["null", "null"],
      ["string-nl", '"x"\n'],
    ]
  ) add(`alone-${n}`, v, false, true);

  // ---------------------------------------------------------------- malformed
  const broken = [
    "{bad",
    "{",
    "}",
    "]",
    "[",
    ",",
    ":",
    "{'jsonrpc':'2.0'}",
    '{"jsonrpc":"2.0","id":1,"method":"account_version",}',
    '{"jsonrpc":"2.0" "id":1}',
    '{"jsonrpc":"2.0","id":01,"method":"account_version"}',
    '{"jsonrpc":"2.0","id":NaN,"method":"account_version"}',
    '{"jsonrpc":"2.0","id":1,"method":"account_version"}}',
    '[{"jsonrpc":"2.0","id":1,"method":"account_version"},]',
    '{"jsonrpc":"2.0","id":+1,"method":"account_version"}',
    '{"jsonrpc":"2.0","id":1,"method":"acc\x01ount"}',
    '{"jsonrpc":"2.0","id":1,"method":"\\x41"}',
    '{"jsonrpc":"2.0","id":1,"method":"\\ud800"}',
    '{"jsonrpc":"2.0","id":.5,"method":"account_version"}',
    "/* c */{}",
    "tru",
    "nul1",
    '{"a":1e}',
    '{"a":-}',
    '{"jsonrpc":"2.0","id":1,"method":"account_version","params":[}',
  ];
  broken.forEach((b, i) => add(`malformed-${i}`, b, i % 6 === 0));
  add(
    "malformed-utf8",
    new Uint8Array([
      ...new TextEncoder().encode('{"jsonrpc":"2.0","id":"'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('","method":"account_version"}'),
    ]),
  );
  add(
    "malformed-utf8-method",
    new Uint8Array([
      ...new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"account_'),
      0xc3,
      ...new TextEncoder().encode('"}'),
    ]),
  );
  add("malformed-nul", new Uint8Array([0]));
  add(
    "malformed-bom",
    new Uint8Array([
      0xef,
      0xbb,
      0xbf,
      ...new TextEncoder().encode(req("account_version")),
    ]),
  );

  // ---------------------------------------------------------------- batches
  add("batch-empty", "[]", true);
  add("batch-one", `[${req("account_version")}]`, true);
  add(
    "batch-two",
    `[${req("account_version", undefined, 1)},${
      req("account_list", undefined, 2)
    }]`,
    true,
  );
  add("batch-int", "[1]");
  add("batch-null", "[null]");
  add("batch-str", '["x"]');
  add("batch-nested", `[[${req("account_version")}]]`);
  add("batch-empty-obj", "[{}]");
  add(
    "batch-mixed",
    `[${req("account_version", undefined, 1)},1,${
      req("account_nope", undefined, 3)
    },{"jsonrpc":"1.0","id":4,"method":"account_version"}]`,
    true,
  );
  add(
    "batch-all-notify",
    `[{"jsonrpc":"2.0","method":"account_version"},{"jsonrpc":"2.0","method":"account_list"}]`,
    true,
  );
  add(
    "batch-notify-and-call",
    `[{"jsonrpc":"2.0","method":"account_version"},${
      req("account_version", undefined, 9)
    }]`,
  );
  add(
    "batch-same-ids",
    `[${req("account_version", undefined, 5)},${
      req("account_version", undefined, 5)
    }]`,
  );
  add(
    "batch-sign",
    `[${
      [1, 2, 3].map((i) =>
        req("account_signData", ["text/plain", A, hexOfText(`batch ${i}`)], i)
      ).join(",")
    }]`,
    true,
  );
  add(
    "batch-sign-mixed",
    `[${req("account_signData", ["text/plain", A, "0x01"], 1)},${
      req("account_signData", ["text/plain", UNKNOWN, "0x01"], 2)
    },${req("account_ecRecover", ["0x", "0x"], 3)}]`,
  );
  add(
    "batch-100",
    `[${
      Array.from(
        { length: 100 },
        (_, i) => req("account_version", undefined, i),
      ).join(",")
    }]`,
  );
  add(
    "batch-ws",
    ` [ ${req("account_version")} , ${req("account_list", undefined, 2)} ] `,
  );

  // ---------------------------------------------------------------- account_list
  add("list-id-str", req("account_list", undefined, "abc"));
  add("list-params-empty", req("account_list", []));

  // ---------------------------------------------------------------- ecRecover
  const msgs = [
    new Uint8Array(),
    new TextEncoder().encode("hello"),
    new TextEncoder().encode("Ethereum"),
    new Uint8Array(32).fill(7),
    new Uint8Array(300).fill(0xab),
  ];
  for (const [i, m] of msgs.entries()) {
    const hex = "0x" +
      Array.from(m, (b) => b.toString(16).padStart(2, "0")).join("");
    const sigA = personalSign(RAW_KEY_HEX, m);
    const sigB = personalSign(SECOND_KEY_HEX, m);
    add(`ecrecover-${i}-a`, req("account_ecRecover", [hex, sigA]), i === 1);
    add(`ecrecover-${i}-b`, req("account_ecRecover", [hex, sigB]));
    const v = parseInt(sigA.slice(-2), 16);
    add(
      `ecrecover-${i}-v01`,
      req("account_ecRecover", [
        hex,
        sigA.slice(0, -2) + (v - 27).toString(16).padStart(2, "0"),
      ]),
    );
    add(
      `ecrecover-${i}-v29`,
      req("account_ecRecover", [hex, sigA.slice(0, -2) + "1d"]),
    );
    add(
      `ecrecover-${i}-short`,
      req("account_ecRecover", [hex, sigA.slice(0, -4)]),
    );
    add(`ecrecover-${i}-long`, req("account_ecRecover", [hex, sigA + "00"]));
    add(
      `ecrecover-${i}-upper`,
      req("account_ecRecover", [
        hex.toUpperCase().replace("0X", "0x"),
        sigA.toUpperCase().replace("0X", "0x"),
      ]),
    );
  }
  const goodSig = personalSign(RAW_KEY_HEX, new TextEncoder().encode("hello"));
  const ecBad: [string, unknown[]][] = [
    ["nohex-data", ["hello", goodSig]],
    ["no0x", ["68656c6c6f", goodSig]],
    ["odd", ["0x123", goodSig]],
    ["0X", ["0X68656c6c6f", goodSig]],
    ["num", [5, goodSig]],
    ["nulldata", [null, goodSig]],
    ["nullsig", ["0x68656c6c6f", null]],
    ["obj", [{}, goodSig]],
    ["one-arg", ["0x68656c6c6f"]],
    ["three-args", ["0x68656c6c6f", goodSig, "0x"]],
    ["zero-r", ["0x68656c6c6f", "0x" + "00".repeat(64) + "1b"]],
    ["ff-sig", ["0x68656c6c6f", "0x" + "ff".repeat(64) + "1c"]],
    ["bad-hex-sig", ["0x68656c6c6f", "0x" + "zz".repeat(65)]],
  ];
  for (const [n, p] of ecBad) {
    add(`ecrecover-bad-${n}`, req("account_ecRecover", p), n === "odd");
  }
  add("ecrecover-noparams", req("account_ecRecover"));

  // ---------------------------------------------------------------- signData text/plain
  const texts = [
    "",
    "hello",
    "é🚀",
    "line\nbreak",
    "\u0000\u0001",
    "x".repeat(1000),
  ];
  for (const [i, t] of texts.entries()) {
    for (
      const [an, addr] of [["a", A], ["b", B], ["lower", A.toLowerCase()], [
        "unknown",
        UNKNOWN,
      ]]
    ) {
      add(
        `text-${i}-${an}`,
        req("account_signData", ["text/plain", addr, hexOfText(t)]),
        i === 1,
      );
    }
  }
  for (let i = 0; i < 10; i++) {
    add(
      `text-rand-${i}`,
      req("account_signData", [
        "text/plain",
        i % 2 ? A : B,
        randHex(1 + Math.floor(rnd() * 64)),
      ]),
    );
  }
  const addrBad: [string, unknown][] = [
    [
      "badsum",
      A.slice(0, 2) +
      (A[2] === A[2].toUpperCase() ? A[2].toLowerCase() : A[2].toUpperCase()) +
      A.slice(3),
    ],
    ["upper", "0x" + A.slice(2).toUpperCase()],
    ["no0x", A.slice(2)],
    ["short", A.slice(0, 40)],
    ["long", A + "00"],
    ["badhex", "0x" + "zz".repeat(20)],
    ["empty", ""],
    ["0x", "0x"],
    ["num", 1],
    ["null", null],
    ["obj", {}],
    ["zero", "0x" + "00".repeat(20)],
  ];
  for (const [n, a] of addrBad) {
    add(
      `addr-${n}`,
      req("account_signData", ["text/plain", a, "0x01"]),
      n === "badhex",
    );
  }
  const dataBad: [string, unknown][] = [
    ["odd", "0x123"],
    ["nohex", "hello"],
    ["no0x", "68656c6c6f"],
    ["empty", ""],
    ["0x", "0x"],
    ["num", 42],
    ["null", null],
    ["obj", { a: 1 }],
    ["arr", [1, 2]],
    ["bool", true],
    ["0X", "0X01"],
    ["upper", "0xABCDEF"],
  ];
  for (const [n, d] of dataBad) {
    add(`textdata-${n}`, req("account_signData", ["text/plain", A, d]));
  }
  const ctypes = [
    "",
    "text/plain; charset=utf-8",
    "TEXT/PLAIN",
    "text/plain;",
    "text/plain;foo",
    "text/",
    "/",
    ";",
    "foo/bar",
    "application/clique",
    "application/x-clique-header; v=1",
    "data/validator",
    "text/validator ",
    " text/plain",
    "data/typed;x=1",
    "text/plain; a=1; a=2",
    'text/plain; x="a\\"b"',
  ];
  ctypes.forEach((ct, i) =>
    add(`ctype-${i}`, req("account_signData", [ct, A, "0x01"]), i % 4 === 0)
  );
  add("signdata-noparams", req("account_signData"));
  add("signdata-two", req("account_signData", ["text/plain", A]));
  add("signdata-four", req("account_signData", ["text/plain", A, "0x01", "x"]));
  add("signdata-ctype-num", req("account_signData", [1, A, "0x01"]));
  add("signdata-obj-params", req("account_signData", { a: 1 }));

  // ---------------------------------------------------------------- text/validator
  const validators: [string, unknown][] = [
    ["ok", { address: B, message: hexOfText("validated") }],
    ["ok-short-addr", { address: "0x01", message: "0x02" }],
    ["ok-long-addr", { address: "0x" + "ab".repeat(25), message: "0x02" }],
    ["no-addr", { message: "0x02" }],
    ["no-msg", { address: B }],
    ["empty-addr", { address: "0x", message: "0x02" }],
    ["empty-msg", { address: B, message: "0x" }],
    ["bad-addr", { address: "zz", message: "0x02" }],
    ["bad-msg", { address: B, message: "0xz" }],
    ["num-addr", { address: 5, message: "0x02" }],
    ["string", "0x1234"],
    ["array", [B, "0x02"]],
    ["null", null],
    ["case-keys", { Address: B, Message: "0x02" }],
  ];
  for (const [n, d] of validators) {
    add(
      `validator-${n}`,
      req("account_signData", ["text/validator", A, d]),
      n === "ok",
    );
  }

  // ---------------------------------------------------------------- clique
  for (let i = 0; i < 40; i++) {
    const n = Math.floor(rnd() * 1e7);
    const h = cliqueHeader(n, {
      parentHash: randHex(32),
      difficulty: rnd() < 0.5 ? 1n : 2n,
      gasUsed: BigInt(Math.floor(rnd() * 1e6)),
      ...(i % 3 === 0 ? { baseFee: BigInt(Math.floor(rnd() * 1e10)) } : {}),
      ...(i % 7 === 0
        ? { extra: "0x" + "d8".padEnd(64, "0") + B.slice(2).toLowerCase() }
        : {}),
    });
    add(
      `clique-${i}`,
      req("account_signData", [
        "application/x-clique-header",
        i % 5 === 4 ? B : A,
        cliqueRlp(h),
      ]),
      i < 3,
    );
  }
  const h0 = cliqueHeader(100);
  const rlp0 = cliqueRlp(h0);
  add(
    "clique-unknown",
    req("account_signData", ["application/x-clique-header", UNKNOWN, rlp0]),
  );
  add(
    "clique-genesis",
    req("account_signData", [
      "application/x-clique-header",
      A,
      cliqueRlp(cliqueHeader(0)),
    ]),
  );
  add(
    "clique-extra-empty",
    req("account_signData", [
      "application/x-clique-header",
      A,
      cliqueRlp(cliqueHeader(5, { extra: "0x" })),
    ]),
  );
  add(
    "clique-extra-31",
    req("account_signData", [
      "application/x-clique-header",
      A,
      cliqueRlp(cliqueHeader(5, { extra: "0x" + "01".repeat(31) })),
    ]),
  );
  add(
    "clique-truncated",
    req("account_signData", [
      "application/x-clique-header",
      A,
      rlp0.slice(0, -10),
    ]),
  );
  add(
    "clique-trailing",
    req("account_signData", ["application/x-clique-header", A, rlp0 + "00"]),
  );
  add(
    "clique-notlist",
    req("account_signData", ["application/x-clique-header", A, "0x80"]),
  );
  add(
    "clique-emptylist",
    req("account_signData", ["application/x-clique-header", A, "0xc0"]),
  );
  add(
    "clique-empty",
    req("account_signData", ["application/x-clique-header", A, "0x"]),
  );
  add(
    "clique-odd",
    req("account_signData", ["application/x-clique-header", A, rlp0 + "0"]),
  );
  add(
    "clique-nohex",
    req("account_signData", ["application/x-clique-header", A, "header"]),
  );
  add(
    "clique-obj",
    req("account_signData", ["application/x-clique-header", A, { number: 1 }]),
  );
  add(
    "clique-null",
    req("account_signData", ["application/x-clique-header", A, null]),
  );
  const fields = (h: ReturnType<typeof cliqueHeader>) => [
    h.parentHash,
    h.uncleHash,
    h.coinbase,
    h.root,
    h.txHash,
    h.receiptHash,
    h.bloom,
    h.difficulty === 0n ? "0x" : toBeHex(h.difficulty),
    toBeHex(h.number),
    toBeHex(h.gasLimit),
    "0x",
    toBeHex(h.time),
    h.extra,
    h.mixDigest,
    h.nonce,
  ];
  const f0 = fields(h0);
  add(
    "clique-14-fields",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp(f0.slice(0, 14)),
    ]),
  );
  add(
    "clique-leading-zero-int",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0.slice(0, 8), "0x0064", ...f0.slice(9)]),
    ]),
  );
  add(
    "clique-int-as-00",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0.slice(0, 10), "0x00", ...f0.slice(11)]),
    ]),
  );
  add(
    "clique-short-hash",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp(["0x01", ...f0.slice(1)]),
    ]),
  );
  add(
    "clique-short-nonce",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0.slice(0, 14), "0x01"]),
    ]),
  );
  add(
    "clique-short-bloom",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0.slice(0, 6), "0x01", ...f0.slice(7)]),
    ]),
  );
  add(
    "clique-nested-list",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([[...f0]]),
    ]),
  );
  add(
    "clique-field-list",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0.slice(0, 3), [], ...f0.slice(4)]),
    ]),
  );
  add(
    "clique-basefee-big",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0, "0x" + "ff".repeat(33)]),
    ]),
  );
  add(
    "clique-basefee-zero",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0, "0x"]),
    ]),
  );
  const zero32 = "0x" + "00".repeat(32);
  add(
    "clique-shanghai",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0, "0x07", zero32]),
    ]),
  );
  add(
    "clique-cancun",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0, "0x07", zero32, "0x", "0x", zero32]),
    ]),
  );
  add(
    "clique-17-bad",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0, "0x07", "0x01"]),
    ]),
  );
  add(
    "clique-nonce-long",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0.slice(0, 14), "0x" + "00".repeat(9)]),
    ]),
  );
  add(
    "clique-big-number",
    req("account_signData", [
      "application/x-clique-header",
      A,
      encodeRlp([...f0.slice(0, 8), "0x" + "ff".repeat(40), ...f0.slice(9)]),
    ]),
  );

  // ---------------------------------------------------------------- typed data
  const typedFiles: [string, unknown][] = [];
  for (const f of listDir("eip712")) {
    typedFiles.push([f, readJson(`eip712/${f}`)]);
  }
  for (const f of listDir("eip712/inline")) {
    if (f !== "expected.json") {
      typedFiles.push([`inline/${f}`, readJson(`eip712/inline/${f}`)]);
    }
  }
  for (const f of listDir("eip712/fuzzing")) {
    typedFiles.push([
      `fuzzing/${f}`,
      JSON.parse(
        Deno.readTextFileSync(join(ROOT, "testdata", "eip712", "fuzzing", f)),
      ),
    ]);
  }
  for (const [f, td] of typedFiles) {
    add(
      `typed-${f}`,
      req("account_signTypedData", [A, td]),
      f === "eip712.json",
    );
    add(`typed-data-${f}`, req("account_signData", ["data/typed", B, td]));
  }
  const apitypes = readJson("eip712/apitypes/typed-data.json") as Record<
    string,
    unknown
  >[];
  for (const t of apitypes) {
    const td = {
      types: t.types,
      primaryType: t.primaryType,
      domain: t.domain,
      message: t.data,
    };
    add(
      `typed-apitypes-${t.name}`,
      req("account_signTypedData", [rnd() < 0.5 ? A : B, td]),
    );
  }
  const mail = readJson("eip712/eip712.json");
  add("typed-unknown", req("account_signTypedData", [UNKNOWN, mail]));
  add("typed-null", req("account_signTypedData", [A, null]));
  add("typed-string", req("account_signTypedData", [A, "x"]));
  add("typed-array", req("account_signTypedData", [A, [mail]]));
  add("typed-empty", req("account_signTypedData", [A, {}]));
  add("typed-one-arg", req("account_signTypedData", [A]));
  add(
    "typed-no-primary",
    req("account_signTypedData", [A, { ...mail, primaryType: undefined }]),
  );
  add(
    "typed-no-domain",
    req("account_signTypedData", [A, { ...mail, domain: undefined }]),
  );
  add(
    "typed-primary-missing-type",
    req("account_signTypedData", [A, { ...mail, primaryType: "Nope" }]),
  );
  add(
    "typed-chainid-str",
    req("account_signTypedData", [A, {
      ...mail,
      domain: { ...mail.domain, chainId: "0x1" },
    }]),
  );
  add(
    "typed-chainid-wrong",
    req("account_signTypedData", [A, {
      ...mail,
      domain: { ...mail.domain, chainId: 99 },
    }]),
  );
  add(
    "typed-chainid-neg",
    req("account_signTypedData", [A, {
      ...mail,
      domain: { ...mail.domain, chainId: -1 },
    }]),
  );
  add(
    "typed-string-in-data",
    req("account_signData", ["data/typed", A, JSON.stringify(mail)]),
  );
  add("typed-hex-in-data", req("account_signData", ["data/typed", A, "0x01"]));

  // ---------------------------------------------------------------- transactions
  for (const f of listDir("clef_tx")) {
    if (!f.endsWith(".json")) continue;
    const r = readJson(`clef_tx/${f}`);
    add(`tx-file-${f}`, JSON.stringify(r), f === "sign_1559_tx.json");
    const p = structuredClone(r.params);
    p[0].from = A;
    add(`tx-file-own-${f}`, JSON.stringify({ ...r, params: p }));
  }
  const TO = "0x8A8eAFb1cf62BfBeb1741769DAE1a9dd47996192";
  const base = { from: A, to: TO, gas: "0x5208", nonce: "0x0", value: "0x1" };
  const txs: [string, Record<string, unknown>, unknown?][] = [
    ["legacy", { ...base, gasPrice: "0x3b9aca00" }],
    ["legacy-chain", { ...base, gasPrice: "0x3b9aca00", chainId: "0x4" }],
    ["legacy-wrongchain", { ...base, gasPrice: "0x3b9aca00", chainId: "0x1" }],
    ["legacy-chain-num", { ...base, gasPrice: "0x3b9aca00", chainId: 4 }],
    ["legacy-b", { ...base, from: B, gasPrice: "0x1" }],
    ["legacy-unknown", { ...base, from: UNKNOWN, gasPrice: "0x1" }],
    ["legacy-lower-from", { ...base, from: A.toLowerCase(), gasPrice: "0x1" }],
    ["legacy-badsum-from", {
      ...base,
      from: "0x9160dc9105f7De5dC5E7f3d97ef11DA47269BdA6",
      gasPrice: "0x1",
    }],
    ["legacy-badsum-to", {
      ...base,
      to: "0x8a8eAFb1cf62BfBeb1741769DAE1a9dd47996192",
      gasPrice: "0x1",
    }],
    ["legacy-lower-to", { ...base, to: TO.toLowerCase(), gasPrice: "0x1" }],
    ["legacy-zero-to", {
      ...base,
      to: "0x" + "00".repeat(20),
      gasPrice: "0x1",
    }],
    ["legacy-no-to", {
      ...base,
      to: undefined,
      gasPrice: "0x1",
      data: "0x6000",
    }],
    ["legacy-no-to-no-data", { ...base, to: undefined, gasPrice: "0x1" }],
    ["legacy-null-to", { ...base, to: null, gasPrice: "0x1", data: "0x6000" }],
    ["legacy-no-gas", { ...base, gas: undefined, gasPrice: "0x1" }],
    ["legacy-no-nonce", { ...base, nonce: undefined, gasPrice: "0x1" }],
    ["legacy-no-value", { ...base, value: undefined, gasPrice: "0x1" }],
    ["legacy-no-from", { ...base, from: undefined, gasPrice: "0x1" }],
    ["legacy-no-fee", { ...base }],
    ["legacy-gas-leading0", { ...base, gas: "0x05208", gasPrice: "0x1" }],
    ["legacy-gas-noprefix", { ...base, gas: "5208", gasPrice: "0x1" }],
    ["legacy-gas-num", { ...base, gas: 21000, gasPrice: "0x1" }],
    ["legacy-gas-empty", { ...base, gas: "0x", gasPrice: "0x1" }],
    ["legacy-gas-huge", {
      ...base,
      gas: "0x10000000000000000",
      gasPrice: "0x1",
    }],
    ["legacy-value-huge", {
      ...base,
      value: "0x" + "f".repeat(64),
      gasPrice: "0x1",
    }],
    ["legacy-value-toohuge", {
      ...base,
      value: "0x1" + "0".repeat(64),
      gasPrice: "0x1",
    }],
    ["legacy-value-dec", { ...base, value: "100", gasPrice: "0x1" }],
    ["legacy-nonce-str", { ...base, nonce: "zero", gasPrice: "0x1" }],
    ["legacy-data", {
      ...base,
      gasPrice: "0x1",
      data: "0xa9059cbb" + "00".repeat(12) + TO.slice(2).toLowerCase() +
        "00".repeat(31) + "01",
    }],
    ["legacy-input", {
      ...base,
      gasPrice: "0x1",
      input: "0xa9059cbb" + "00".repeat(12) + TO.slice(2).toLowerCase() +
        "00".repeat(31) + "01",
    }],
    ["legacy-data-input-same", {
      ...base,
      gasPrice: "0x1",
      data: "0x",
      input: "0x",
    }],
    ["legacy-data-input-differ", {
      ...base,
      gasPrice: "0x1",
      data: "0x01",
      input: "0x02",
    }],
    ["legacy-data-short", { ...base, gasPrice: "0x1", data: "0x01" }],
    ["legacy-data-unknown-sel", {
      ...base,
      gasPrice: "0x1",
      data: "0xdeadbeef",
    }],
    ["legacy-data-transfer-bad-args", {
      ...base,
      gasPrice: "0x1",
      data: "0xa9059cbb00",
    }],
    ["legacy-data-odd", { ...base, gasPrice: "0x1", data: "0x123" }],
    ["legacy-type-field", { ...base, gasPrice: "0x1", type: "0x2" }],
    ["legacy-unknown-field", { ...base, gasPrice: "0x1", frobnicate: true }],
    ["legacy-upper-keys", {
      FROM: A,
      TO,
      GAS: "0x5208",
      NONCE: "0x0",
      VALUE: "0x1",
      GASPRICE: "0x1",
    }],
    ["al", {
      ...base,
      gasPrice: "0x1",
      accessList: [{ address: TO, storageKeys: [zero32] }],
    }],
    ["al-empty", { ...base, gasPrice: "0x1", accessList: [] }],
    ["al-bad", {
      ...base,
      gasPrice: "0x1",
      accessList: [{ address: "0x01", storageKeys: [] }],
    }],
    ["al-badkey", {
      ...base,
      gasPrice: "0x1",
      accessList: [{ address: TO, storageKeys: ["0x01"] }],
    }],
    ["al-obj", { ...base, gasPrice: "0x1", accessList: {} }],
    ["1559", {
      ...base,
      maxFeePerGas: "0x3b9aca00",
      maxPriorityFeePerGas: "0x1",
    }],
    ["1559-chain", {
      ...base,
      maxFeePerGas: "0x3b9aca00",
      maxPriorityFeePerGas: "0x1",
      chainId: "0x4",
    }],
    ["1559-wrongchain", {
      ...base,
      maxFeePerGas: "0x3b9aca00",
      maxPriorityFeePerGas: "0x1",
      chainId: "0x5",
    }],
    ["1559-al", {
      ...base,
      maxFeePerGas: "0x2",
      maxPriorityFeePerGas: "0x1",
      accessList: [{ address: TO, storageKeys: [] }],
    }],
    ["1559-only-max", { ...base, maxFeePerGas: "0x2" }],
    ["1559-only-prio", { ...base, maxPriorityFeePerGas: "0x2" }],
    ["1559-prio-gt-max", {
      ...base,
      maxFeePerGas: "0x1",
      maxPriorityFeePerGas: "0x2",
    }],
    ["1559-and-gasprice", {
      ...base,
      gasPrice: "0x1",
      maxFeePerGas: "0x2",
      maxPriorityFeePerGas: "0x1",
    }],
    ["1559-b", {
      ...base,
      from: B,
      maxFeePerGas: "0x2",
      maxPriorityFeePerGas: "0x1",
      nonce: "0x2a",
    }],
    ["1559-create", {
      ...base,
      to: undefined,
      maxFeePerGas: "0x2",
      maxPriorityFeePerGas: "0x1",
      data: "0x60006000",
    }],
    ["blob", {
      ...base,
      maxFeePerGas: "0x2",
      maxPriorityFeePerGas: "0x1",
      maxFeePerBlobGas: "0x1",
      blobVersionedHashes: ["0x01" + "00".repeat(31)],
    }],
    ["blob-no-hashes", {
      ...base,
      maxFeePerGas: "0x2",
      maxPriorityFeePerGas: "0x1",
      maxFeePerBlobGas: "0x1",
    }],
    ["blob-no-to", {
      ...base,
      to: undefined,
      maxFeePerGas: "0x2",
      maxPriorityFeePerGas: "0x1",
      maxFeePerBlobGas: "0x1",
      blobVersionedHashes: ["0x01" + "00".repeat(31)],
    }],
    ["setcode", {
      ...base,
      maxFeePerGas: "0x2",
      maxPriorityFeePerGas: "0x1",
      authorizationList: [],
    }],
    ["tx-null", null as unknown as Record<string, unknown>],
    ["tx-string", "tx" as unknown as Record<string, unknown>],
    ["tx-empty", {}],
  ];
  for (const [n, t, sel] of txs) {
    add(
      `tx-${n}`,
      req("account_signTransaction", sel === undefined ? [t] : [t, sel]),
      ["legacy", "1559", "legacy-wrongchain", "tx-empty"].includes(n),
    );
  }
  const txSel: [string, unknown][] = [
    ["sel-ok", "transfer(address,uint256)"],
    ["sel-mismatch", "approve(address,uint256)"],
    ["sel-bad", "transfer(address"],
    ["sel-null", null],
    ["sel-num", 5],
  ];
  for (const [n, s] of txSel) {
    add(
      `tx-${n}`,
      req("account_signTransaction", [{
        ...base,
        gasPrice: "0x1",
        data: "0xa9059cbb" + "00".repeat(12) + TO.slice(2).toLowerCase() +
          "00".repeat(31) + "01",
      }, s]),
    );
  }
  add("tx-noparams", req("account_signTransaction"));
  add(
    "tx-three",
    req("account_signTransaction", [{ ...base, gasPrice: "0x1" }, null, 1]),
  );
  for (let i = 0; i < 20; i++) {
    const t: Record<string, unknown> = {
      from: i % 2 ? A : B,
      to: getAddress(randHex(20)),
      gas: toBeHex(21000 + Math.floor(rnd() * 1e5)),
      nonce: toBeHex(Math.floor(rnd() * 1000)).replace(/^0x0+(?=.)/, "0x"),
      value: toBeHex(BigInt(Math.floor(rnd() * 1e15))).replace(
        /^0x0+(?=.)/,
        "0x",
      ),
    };
    t.gas = (t.gas as string).replace(/^0x0+(?=.)/, "0x");
    if (i % 3 === 0) {
      t.gasPrice = "0x" + Math.floor(1 + rnd() * 1e9).toString(16);
    } else {
      t.maxFeePerGas = "0x" + Math.floor(1e9 + rnd() * 1e9).toString(16);
      t.maxPriorityFeePerGas = "0x" + Math.floor(1 + rnd() * 1e9).toString(16);
    }
    if (i % 4 === 1) {
      t.accessList = [{
        address: getAddress(randHex(20)),
        storageKeys: [randHex(32)],
      }];
    }
    add(`tx-rand-${i}`, req("account_signTransaction", [t]), i === 0);
  }

  // ---------------------------------------------------------------- gnosis
  for (const f of listDir("gnosis")) {
    if (f === "expected.json" || !f.endsWith(".json")) continue;
    const g = readJson(`gnosis/${f}`);
    add(
      `gnosis-${f}`,
      req("account_signGnosisSafeTx", [A, g]),
      f === "gnosis_safe_tx.json",
    );
    add(
      `gnosis-sel-${f}`,
      req("account_signGnosisSafeTx", [B, g, "transfer(address,uint256)"]),
    );
    add(`gnosis-unknown-${f}`, req("account_signGnosisSafeTx", [UNKNOWN, g]));
    add(
      `gnosis-badhash-${f}`,
      req("account_signGnosisSafeTx", [A, { ...g, safeTxHash: zero32 }]),
    );
    add(
      `gnosis-nochain-${f}`,
      req("account_signGnosisSafeTx", [A, { ...g, chainId: undefined }]),
    );
  }
  const g0 = readJson("gnosis/gnosis_safe_tx.json");
  add("gnosis-null", req("account_signGnosisSafeTx", [A, null]));
  add("gnosis-empty", req("account_signGnosisSafeTx", [A, {}]));
  add(
    "gnosis-bad-value",
    req("account_signGnosisSafeTx", [A, { ...g0, value: "0xzz" }]),
  );
  add(
    "gnosis-bad-safe",
    req("account_signGnosisSafeTx", [A, { ...g0, safe: "0x01" }]),
  );
  add("gnosis-one-arg", req("account_signGnosisSafeTx", [A]));

  return out;
}
