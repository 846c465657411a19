/**
 * Differential test against real Clef (issue 8, point 4): every case of the
 * corpus (tests/interop/_clef_corpus.ts, >500 requests, deterministic) goes
 * byte for byte to Clef and to stave over IPC, and the answers must be the
 * same bytes, or the case must be listed in EXPECTED_DIFFERENCES with the
 * reason (a deliberate stave difference). A listed case that agrees fails
 * too, so the table stays exact. Set CLEF_DIFF_REPORT=<file> to write every
 * case with both answers as JSON.
 *
 * @module
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { buildCorpus } from "./_clef_corpus.ts";
import { splitJsonValues } from "../_daemon.ts";
import {
  httpRaw,
  ipcExchange,
  type IpcOutcome,
  type SignerProcess,
} from "./_clef.ts";
import { startPair } from "./_clef_pair.ts";

/** A deliberate difference: why, and what stave must answer instead. */
interface Expected {
  /** The reason (README "How stave differs from Clef"). */
  reason: string;
  /** stave's answer must match this. */
  stave: RegExp;
}

/**
 * Cases where stave answers differently on purpose, by case name.
 */
export const EXPECTED_DIFFERENCES: Record<string, Expected> = {
  "clique-shanghai": {
    reason:
      "Clique header with Shanghai fields (withdrawalsRoot): Clef's handler panics (-32603 method handler crashed); stave answers a clear error or signs it the Nethermind way",
    stave:
      /"error":\{"code":-32000,"message":"clique|"result":"0x[0-9a-f]{130}"/,
  },
  "clique-cancun": {
    reason:
      "Clique header with Shanghai and Cancun fields: Clef panics (-32603); stave answers a clear error or signs it the Nethermind way",
    stave:
      /"error":\{"code":-32000,"message":"clique|"result":"0x[0-9a-f]{130}"/,
  },
  "clique-big-number": {
    reason:
      "Clique header whose number does not fit in 64 bits: Clef signs it (big.Int); stave refuses (geth numbers blocks with uint64, and a guard that recorded such a height would refuse every real one after it)",
    stave:
      /"code":-32000,"message":"clique: refusing to seal block \d+: a block number must fit in 64 bits"/,
  },
  "tx-setcode": {
    reason:
      "authorizationList: Clef has no such field, ignores it and signs a type-2 transaction; stave signs type 4 (set-code)",
    stave: /"raw":"0x04[0-9a-f]+","tx":\{"type":"0x4"/,
  },
};

const bytes = (b: string | Uint8Array) =>
  typeof b === "string" ? new TextEncoder().encode(b) : b;

/**
 * The comparable form of an outcome. Separate requests on one connection
 * are answered concurrently by Go's rpc server, so the order of several
 * top-level answers is not defined: they are sorted (a batch is one value,
 * its order is kept).
 */
const show = (o: IpcOutcome) =>
  (o.values.length ? [...o.values].sort().join("") : "<no answer>") +
  (o.closed ? " <closed>" : "");

interface Row {
  name: string;
  request: string;
  clef: string;
  stave: string;
  agree: boolean;
}

const requestText = (b: string | Uint8Array) =>
  typeof b === "string"
    ? b
    : `bytes:${Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")}`;

/** Checks rows against the expected-difference table; returns the problems. */
function problems(rows: Row[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const exp = EXPECTED_DIFFERENCES[r.name];
    if (r.agree && exp) {
      out.push(`${r.name}: listed as a difference but agrees`);
    }
    if (!r.agree && !exp) {
      out.push(
        `${r.name}\n  request: ${r.request.slice(0, 400)}\n  clef:  ${
          r.clef.slice(0, 600)
        }\n  stave: ${r.stave.slice(0, 600)}`,
      );
    }
    if (!r.agree && exp && !exp.stave.test(r.stave)) {
      out.push(`${r.name}: stave answered ${r.stave}, want ${exp.stave}`);
    }
  }
  return out;
}

/** HTTP answer as compared: status, content type, body. */
async function httpShow(
  port: number,
  body: string | undefined,
  headers: Record<string, string | null> = {},
  method = "POST",
): Promise<string> {
  const r = await httpRaw(port, method, headers, body);
  return `${r.status} ${r.contentType}\n${r.body}`;
}

/** Extra HTTP-only cases: [name, body, headers, method]. */
const HTTP_CASES: [
  string,
  string | undefined,
  Record<string, string | null>,
  string,
][] = [
  ["http-host-evil", '{"jsonrpc":"2.0","id":1,"method":"account_version"}', {
    host: "evil.example",
  }, "POST"],
  [
    "http-host-evil-port",
    '{"jsonrpc":"2.0","id":1,"method":"account_version"}',
    { host: "evil.example:8550" },
    "POST",
  ],
  [
    "http-host-LOCALHOST",
    '{"jsonrpc":"2.0","id":1,"method":"account_version"}',
    { host: "LOCALHOST:1" },
    "POST",
  ],
  ["http-host-ip", '{"jsonrpc":"2.0","id":1,"method":"account_version"}', {
    host: "10.1.2.3",
  }, "POST"],
  ["http-host-ipv6", '{"jsonrpc":"2.0","id":1,"method":"account_version"}', {
    host: "[::1]:80",
  }, "POST"],
  ["http-get", undefined, {}, "GET"],
  [
    "http-put",
    '{"jsonrpc":"2.0","id":1,"method":"account_version"}',
    {},
    "PUT",
  ],
  ["http-delete", undefined, {}, "DELETE"],
  ["http-ctype-text", '{"jsonrpc":"2.0","id":1,"method":"account_version"}', {
    "content-type": "text/plain",
  }, "POST"],
  [
    "http-ctype-charset",
    '{"jsonrpc":"2.0","id":1,"method":"account_version"}',
    { "content-type": "application/json; charset=utf-8" },
    "POST",
  ],
  [
    "http-ctype-jsonrequest",
    '{"jsonrpc":"2.0","id":1,"method":"account_version"}',
    { "content-type": "application/json-rpc" },
    "POST",
  ],
  ["http-ctype-bad", '{"jsonrpc":"2.0","id":1,"method":"account_version"}', {
    "content-type": ";;",
  }, "POST"],
  ["http-empty-body", "", {}, "POST"],
  ["http-no-ctype", '{"jsonrpc":"2.0","id":1,"method":"account_version"}', {
    "content-type": null,
  }, "POST"],
  ["http-no-host", '{"jsonrpc":"2.0","id":1,"method":"account_version"}', {
    host: null,
  }, "POST"],
  ["http-options", undefined, {}, "OPTIONS"],
  [
    "http-get-body",
    '{"jsonrpc":"2.0","id":1,"method":"account_version"}',
    {},
    "GET",
  ],
  ["http-malformed", "{bad", {}, "POST"],
  ["http-batch-empty", "[]", {}, "POST"],
  [
    "http-batch-1001",
    "[" +
    Array.from(
      { length: 1001 },
      (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"account_version"}`,
    ).join(",") +
    "]",
    {},
    "POST",
  ],
  [
    "http-two-values",
    '{"jsonrpc":"2.0","id":1,"method":"account_version"}{"jsonrpc":"2.0","id":2,"method":"account_version"}',
    {},
    "POST",
  ],
  [
    "http-too-large",
    '{"jsonrpc":"2.0","id":1,"method":"account_signData","params":["text/plain","0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6","0x' +
    "00".repeat(3 * 1024 * 1024) + '"]}',
    {},
    "POST",
  ],
];

Deno.test({
  name: "Clef differential: IPC corpus, HTTP sample, account_new",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const corpus = buildCorpus();
    ok(corpus.length >= 500, `corpus has ${corpus.length} cases`);
    const pair = await startPair({ http: true });
    const ipcRows: Row[] = [];
    const httpRows: Row[] = [];
    const newRows: Row[] = [];
    try {
      await t.step("IPC: every corpus case", async () => {
        for (const c of corpus) {
          const [cl, st] = await Promise.all([
            ipcExchange(pair.clef.ipcPath, bytes(c.body), {
              graceMs: c.alone ? 1500 : c.silent ? 400 : 30_000,
              alone: c.alone,
            }),
            ipcExchange(pair.stave.ipcPath, bytes(c.body), {
              graceMs: c.alone ? 1500 : c.silent ? 400 : 30_000,
              alone: c.alone,
            }),
          ]);
          const [a, b] = [show(cl), show(st)];
          ipcRows.push({
            name: c.name,
            request: requestText(c.body),
            clef: a,
            stave: b,
            agree: a === b,
          });
        }
        const agree = ipcRows.filter((r) => r.agree).length;
        console.log(
          `Clef differential (IPC): ${agree}/${ipcRows.length} agree`,
        );
        deepStrictEqual(problems(ipcRows), []);
      });
      await t.step(
        "HTTP: a sample of the corpus and HTTP-only cases",
        async () => {
          const cases: [
            string,
            string | undefined,
            Record<string, string | null>,
            string,
          ][] = [
            ...corpus.filter((c) => c.http && typeof c.body === "string").map((
              c,
            ) =>
              [c.name, c.body as string, {}, "POST"] as [
                string,
                string,
                Record<string, string | null>,
                string,
              ]
            ),
            ...HTTP_CASES,
          ];
          for (const [name, body, headers, method] of cases) {
            const [a, b] = await Promise.all([
              httpShow(pair.clef.httpPort!, body, headers, method),
              httpShow(pair.stave.httpPort!, body, headers, method),
            ]);
            httpRows.push({
              name: `http:${name}`,
              request: `${method} ${JSON.stringify(headers)} ${
                (body ?? "").slice(0, 300)
              }`,
              clef: a,
              stave: b,
              agree: a === b,
            });
          }
          const agree = httpRows.filter((r) => r.agree).length;
          console.log(
            `Clef differential (HTTP): ${agree}/${httpRows.length} agree`,
          );
          deepStrictEqual(problems(httpRows), []);
        },
      );
      await t.step(
        "account_new: denied, created, refused passwords (CLI UI on stdin)",
        async () => {
          for (const [name, answers] of ACCOUNT_NEW_SCRIPTS) {
            const [a, b] = await Promise.all(
              [pair.clef, pair.stave].map((p) => accountNew(p, answers)),
            );
            newRows.push({
              name: `new:${name}`,
              request: JSON.stringify(answers),
              clef: a,
              stave: b,
              agree: a === b,
            });
          }
          const agree = newRows.filter((r) => r.agree).length;
          console.log(
            `Clef differential (account_new): ${agree}/${newRows.length} agree`,
          );
          deepStrictEqual(problems(newRows), []);
        },
      );
    } finally {
      await pair.close();
      const report = Deno.env.get("CLEF_DIFF_REPORT");
      if (report) {
        await Deno.writeTextFile(
          report,
          JSON.stringify([...ipcRows, ...httpRows, ...newRows], null, 1),
        );
      }
    }
    const all = [...ipcRows, ...httpRows, ...newRows];
    console.log(
      `Clef differential (total): ${
        all.filter((r) => r.agree).length
      }/${all.length} agree`,
    );
  },
});

/** Answers typed for account_new: approval, then passwords as prompted. */
const ACCOUNT_NEW_SCRIPTS: [string, string[]][] = [
  ["denied", ["N"]],
  ["created", ["y", "a new password 123"]],
  ["bad-passwords", ["y", "short", "short", "no\\backslash ok"]],
];

/**
 * Calls account_new and answers the CLI UI prompts as they appear; then
 * lists the accounts. A created address is random: it is replaced by
 * <new address> (the only part that must differ).
 */
async function accountNew(
  p: SignerProcess,
  answers: string[],
): Promise<string> {
  const c = await Deno.connect({ transport: "unix", path: p.ipcPath });
  const from = p.stdout().length;
  await c.write(
    new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"account_new"}'),
  );
  let at = from;
  for (const [i, a] of answers.entries()) {
    const needle = i === 0 ? "Approve? [y/N]:" : `(attempt ${i - 1} of 3)`;
    await p.waitStdout(needle, at);
    at = p.stdout().indexOf(needle, at) + needle.length;
    await p.write(a + "\n");
  }
  const answer = await readOneValue(c);
  c.close();
  const m = answer.match(/"result":"(0x[0-9a-f]{40})"/);
  let text = answer;
  if (m) {
    const list = await ipcExchange(
      p.ipcPath,
      new TextEncoder().encode(
        '{"jsonrpc":"2.0","id":2,"method":"account_list"}',
      ),
    );
    text += list.values.join("");
    text = text.replaceAll(m[1], "<new address>");
  }
  return text;
}

async function readOneValue(c: Deno.UnixConn): Promise<string> {
  let buf = "";
  const dec = new TextDecoder();
  const chunk = new Uint8Array(65536);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const n = await c.read(chunk);
    if (n === null) break;
    buf += dec.decode(chunk.subarray(0, n), { stream: true });
    const { values } = splitJsonValues(buf);
    if (values.length > 0) return values[0];
  }
  return buf + " <closed>";
}
