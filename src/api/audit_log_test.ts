import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { fromHex } from "../_bytes.ts";
import { MixedcaseAddress } from "../address.ts";
import { RequestDeniedError } from "../errors.ts";
import type { Metadata } from "../ui/ui.ts";
import {
  AuditLogger,
  formatLogLine,
  formatLogTime,
  formatLogValue,
  metadataJson,
} from "./audit_log.ts";

const T = "time=2026-06-03T16:39:12.123+02:00 level=INFO";
const META: Metadata = {
  remote: "NA",
  local: "NA",
  scheme: "ipc",
  "User-Agent": "",
  Origin: "",
};
const M =
  'metadata="{\\"remote\\":\\"NA\\",\\"local\\":\\"NA\\",\\"scheme\\":\\"ipc\\",\\"User-Agent\\":\\"\\",\\"Origin\\":\\"\\"}"';
const A1 = "0xD9C9Cd5f6779558b6e0eD4e6Acf6b1947E7fA1F3";
const A2 = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";

function logger(): { log: AuditLogger; lines: string[] } {
  const lines: string[] = [];
  const log = new AuditLogger((l) => {
    lines.push(l);
  }, {
    now: () => new Date(Date.UTC(2026, 5, 3, 14, 39, 12, 123)),
    utcOffsetMinutes: () => 120,
  });
  return { log, lines };
}

async function one(
  f: (log: AuditLogger) => Promise<void>,
): Promise<string> {
  const { log, lines } = logger();
  await f(log);
  strictEqual(lines.length, 1);
  strictEqual(lines[0].at(-1), "\n");
  return lines[0].slice(0, -1);
}

Deno.test("AuditLogger() signDataRequest reproduces the spec §7.1 example line", async () => {
  const addr = new MixedcaseAddress(
    fromHex("d9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3"),
    "0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3",
  );
  strictEqual(
    await one((l) => l.signDataRequest(META, addr, '"0x2020"', "text/plain")),
    `${T} msg=SignData api=signer type=request ${M} addr="0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3 [chksum INVALID]" data="\\"0x2020\\"" content-type=text/plain`,
  );
});

Deno.test("AuditLogger() configured is the first line's format", async () => {
  strictEqual(
    await one((l) => l.configured("audit.log")),
    `${T} msg=Configured api=signer "audit log"=audit.log`,
  );
  strictEqual(
    await one((l) => l.configured("/var/log/my audit.log")),
    `${T} msg=Configured api=signer "audit log"="/var/log/my audit.log"`,
  );
});

Deno.test("AuditLogger() List request and responses (0, 1, 2 addresses)", async () => {
  strictEqual(
    await one((l) => l.listRequest(META)),
    `${T} msg=List api=signer type=request ${M}`,
  );
  strictEqual(
    await one((l) => l.listResponse([])),
    `${T} msg=List api=signer type=response data=[]`,
  );
  strictEqual(
    await one((l) => l.listResponse([A1.toLowerCase()])),
    `${T} msg=List api=signer type=response data=[${A1}]`,
  );
  strictEqual(
    await one((l) => l.listResponse([fromHex(A1), A2])),
    `${T} msg=List api=signer type=response data="[${A1} ${A2}]"`,
  );
});

Deno.test("AuditLogger() SignTransaction lines", async () => {
  const tx =
    '{"from":"0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3","to":null,"gas":"0x5208","gasPrice":"0x1","maxFeePerGas":null,"maxPriorityFeePerGas":null,"value":"0x0","nonce":"0x0","data":null,"input":null}';
  const q = tx.replaceAll('"', '\\"');
  strictEqual(
    await one((l) => l.signTransactionRequest(META, tx)),
    `${T} msg=SignTransaction api=signer type=request ${M} tx="${q}" methodSelector=<nil>`,
  );
  strictEqual(
    await one((l) =>
      l.signTransactionRequest(META, tx, "transfer(address,uint256)")
    ),
    `${T} msg=SignTransaction api=signer type=request ${M} tx="${q}" methodSelector=transfer(address,uint256)`,
  );
  strictEqual(
    await one((l) => l.signTransactionResponse(fromHex("f86b01"))),
    `${T} msg=SignTransaction api=signer type=response data=f86b01 error=<nil>`,
  );
  strictEqual(
    await one((l) =>
      l.signTransactionResponse(undefined, new RequestDeniedError())
    ),
    `${T} msg=SignTransaction api=signer type=response data=<nil> error="request denied"`,
  );
});

Deno.test("AuditLogger() SignData response: hex signature or empty data", async () => {
  strictEqual(
    await one((l) => l.signDataResponse(fromHex("aabb1b"))),
    `${T} msg=SignData api=signer type=response data=aabb1b error=<nil>`,
  );
  strictEqual(
    await one((l) => l.signDataResponse(undefined, new RequestDeniedError())),
    `${T} msg=SignData api=signer type=response data="" error="request denied"`,
  );
});

Deno.test("AuditLogger() SignTypedData lines", async () => {
  strictEqual(
    await one((l) =>
      l.signTypedDataRequest(
        META,
        `${A1} [chksum ok]`,
        "{Types:map[] PrimaryType:Mail}",
      )
    ),
    `${T} msg=SignTypedData api=signer type=request ${M} addr="${A1} [chksum ok]" data="{Types:map[] PrimaryType:Mail}"`,
  );
  strictEqual(
    await one((l) => l.signTypedDataResponse(fromHex("01"), "boom")),
    `${T} msg=SignTypedData api=signer type=response data=01 error=boom`,
  );
});

Deno.test("AuditLogger() SignGnosisSafeTx lines", async () => {
  strictEqual(
    await one((l) =>
      l.signGnosisSafeTxRequest(META, `${A1} [chksum ok]`, '{"safe":"0x1"}')
    ),
    `${T} msg=SignGnosisSafeTx api=signer type=request ${M} addr="${A1} [chksum ok]" data="{\\"safe\\":\\"0x1\\"}" selector=<nil>`,
  );
  strictEqual(
    await one((l) => l.signGnosisSafeTxRequest(META, A1, "{}", "0xa9059cbb")),
    `${T} msg=SignGnosisSafeTx api=signer type=request ${M} addr=${A1} data={} selector=0xa9059cbb`,
  );
  strictEqual(
    await one((l) => l.signGnosisSafeTxResponse('{"signature":"0x01"}')),
    `${T} msg=SignGnosisSafeTx api=signer type=response data="{\\"signature\\":\\"0x01\\"}" error=<nil>`,
  );
  strictEqual(
    await one((l) =>
      l.signGnosisSafeTxResponse(undefined, new Error("request denied"))
    ),
    `${T} msg=SignGnosisSafeTx api=signer type=response data=<nil> error="request denied"`,
  );
});

Deno.test("AuditLogger() EcRecover lines", async () => {
  strictEqual(
    await one((l) =>
      l.ecRecoverRequest(META, fromHex("deadbeef"), fromHex("00ff"))
    ),
    `${T} msg=EcRecover api=signer type=request ${M} data=deadbeef sig=00ff`,
  );
  strictEqual(
    await one((l) => l.ecRecoverResponse(A1.toLowerCase())),
    `${T} msg=EcRecover api=signer type=response address=${A1} error=<nil>`,
  );
  strictEqual(
    await one((l) =>
      l.ecRecoverResponse(undefined, "invalid signature length")
    ),
    `${T} msg=EcRecover api=signer type=response address=0x0000000000000000000000000000000000000000 error="invalid signature length"`,
  );
});

Deno.test("AuditLogger() Version lines", async () => {
  strictEqual(
    await one((l) => l.versionRequest(META)),
    `${T} msg=Version api=signer type=request ${M}`,
  );
  strictEqual(
    await one((l) => l.versionResponse("6.1.0")),
    `${T} msg=Version api=signer type=response data=6.1.0 error=<nil>`,
  );
});

Deno.test("formatLogValue() follows slog's quoting rules", () => {
  const table: [string, string][] = [
    ["plain", "plain"],
    ["", '""'],
    ["a b", '"a b"'],
    ["a=b", '"a=b"'],
    ['a"b', '"a\\"b"'],
    ["a\\b", "a\\b"],
    ["tab\t", '"tab\\t"'],
    ["nl\n", '"nl\\n"'],
    ["\x01", '"\\x01"'],
    ["del\x7f", "del\x7f"],
    ["[]", "[]"],
    ["<nil>", "<nil>"],
    ["é€", "é€"],
    ["nb\u00a0sp", '"nb\\u00a0sp"'],
    ["\u2028", '"\\u2028"'],
    ["\ufffd", '"\ufffd"'],
    ["lone\ud800", '"lone\ufffd"'],
    ["\u200b", '"\\u200b"'],
  ];
  for (const [v, want] of table) {
    strictEqual(formatLogValue(v), want, JSON.stringify(v));
  }
  strictEqual(formatLogValue(new TextEncoder().encode("plain")), '"plain"');
  strictEqual(formatLogValue(new Uint8Array([0xff, 0x41])), '"\\xffA"');
  strictEqual(formatLogValue(null), "<nil>");
});

Deno.test("formatLogTime() renders RFC 3339 with milliseconds and the offset", () => {
  const d = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 5));
  strictEqual(formatLogTime(d, 0), "2026-01-01T00:00:00.005Z");
  strictEqual(formatLogTime(d, -210), "2025-12-31T20:30:00.005-03:30");
  strictEqual(formatLogTime(d, 345), "2026-01-01T05:45:00.005+05:45");
  strictEqual(
    formatLogTime(new Date(Date.UTC(2026, 11, 31, 23, 59, 59, 999)), 60),
    "2027-01-01T00:59:59.999+01:00",
  );
});

Deno.test("formatLogLine() quotes keys as values", () => {
  strictEqual(
    formatLogLine("X", "Configured", [["a b", "c"], ["k", null]]),
    'time=X level=INFO msg=Configured api=signer "a b"=c k=<nil>',
  );
});

Deno.test("metadataJson() escapes attacker-controlled fields as Go does", () => {
  strictEqual(
    metadataJson({
      remote: "1.2.3.4:5",
      local: "l",
      scheme: "http",
      "User-Agent": "<x>&",
      Origin: "o\n",
    }),
    '{"remote":"1.2.3.4:5","local":"l","scheme":"http","User-Agent":"\\u003cx\\u003e\\u0026","Origin":"o\\n"}',
  );
});

Deno.test("AuditLogger() uses the process time zone by default", async () => {
  const lines: string[] = [];
  const now = new Date(Date.UTC(2026, 5, 3, 14, 39, 12, 123));
  await new AuditLogger((l) => {
    lines.push(l);
  }, { now: () => now }).versionRequest(META);
  deepStrictEqual(lines, [
    `time=${
      formatLogTime(now, -now.getTimezoneOffset())
    } level=INFO msg=Version api=signer type=request ${M}\n`,
  ]);
});
