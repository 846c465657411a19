import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { encodeRlp } from "ethers";
import { RequestDeniedError, UnknownAccountError } from "../errors.ts";
import type { JsonValue } from "../json.ts";
import { CliUi } from "./cli_ui.ts";
import type { Terminal } from "./terminal.ts";
import {
  runUiSelfTest,
  SELF_TEST_ADDRESS,
  SELF_TEST_TYPED_DATA,
  selfTestCliqueHeader,
  type SelfTestSigner,
} from "./ui_test_sequence.ts";
import type { Metadata, SendTxArgsJson, Ui } from "./ui.ts";

function scriptedTerminal(lines: string[]): Terminal & { out: string } {
  const t = {
    out: "",
    eof: false,
    write(s: string) {
      t.out += s;
    },
    readLine() {
      const v = lines.shift() ?? null;
      if (v === null) t.eof = true;
      return Promise.resolve(v);
    },
    readPassword() {
      return t.readLine();
    },
  };
  return t;
}

/** A signer that asks the UI, as the real one does, and holds no accounts. */
function uiSigner(ui: Ui, seen: Metadata[]): SelfTestSigner {
  const deny = () => {
    throw new RequestDeniedError();
  };
  return {
    async signData(contentType, address, data, meta) {
      seen.push(meta);
      const r = await ui.approveSignData({
        content_type: contentType,
        address,
        raw_data: "",
        messages: [{ name: "data", value: data as string, type: contentType }],
        call_info: null,
        hash: "0x00",
        meta,
      });
      if (!r.approved) deny();
      throw new UnknownAccountError();
    },
    async signTypedData(address, typedData: JsonValue, meta) {
      seen.push(meta);
      ok(typeof typedData === "object");
      const r = await ui.approveSignData({
        content_type: "data/typed",
        address,
        raw_data: "",
        messages: [],
        call_info: null,
        hash: "0x00",
        meta,
      });
      if (!r.approved) deny();
      throw new UnknownAccountError();
    },
    async signTransaction(args: SendTxArgsJson, meta) {
      seen.push(meta);
      const r = await ui.approveTx({
        transaction: args,
        call_info: null,
        meta,
      });
      if (!r.approved) deny();
      throw new UnknownAccountError();
    },
    async list(meta) {
      seen.push(meta);
      const r = await ui.approveListing({ accounts: [], meta });
      if (r.accounts === null) deny();
      return [];
    },
    async newAccount(meta) {
      seen.push(meta);
      const r = await ui.approveNewAccount({ meta });
      if (!r.approved) deny();
      return "0x";
    },
  };
}

const GOOD_ANSWERS = [
  "yes", // showinfo
  "yes", // showerror
  "y", // clique
  "y", // typed data
  "y", // text
  "n", // deny text
  "n", // reject tx
  "no", // warnings?
  "n", // reject listing
  "n", // reject new account
  "y", // origin listing
  "yes", // saw origin
];

Deno.test("runUiSelfTest() passes with the right answers through the CLI UI", async () => {
  const term = scriptedTerminal([...GOOD_ANSWERS]);
  const ui = new CliUi(term);
  const seen: Metadata[] = [];
  const sleeps: number[] = [];
  const r = await runUiSelfTest(ui, uiSigner(ui, seen), {
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  deepStrictEqual(r.errors, []);
  strictEqual(r.summary, "Tests completed. 0 errors:\n\n");
  ok(term.out.endsWith("## Info \nTests completed. 0 errors:\n\n\n"));
  strictEqual(sleeps.length, 10);
  ok(sleeps.every((ms) => ms === 1000));
  // the messages appear in clef's order
  const order = [
    "## Info \nIf you see this message, enter 'yes' to next question\n",
    "## Testing\n\nDid you see the message? [yes/no]\n",
    "## Error \nIf you see this message, enter 'yes' to the next question\n",
    "Please approve the next request for signing a clique header",
    "Please approve the next request for signing EIP-712 typed data",
    "Please approve the next request for signing text",
    "Please deny the next request for signing text",
    "Please reject next transaction",
    "Did you see any warnings for the last transaction? (yes/no)",
    "Please reject listing-request",
    "Please reject new account-request",
    "Please check if you see the Origin in next listing (approve or deny)",
    "Did you see origin (origin.com)? [yes/no] \n",
  ];
  let at = -1;
  for (const s of order) {
    const i = term.out.indexOf(s, at + 1);
    ok(i > at, `missing or out of order: ${s}`);
    at = i;
  }
  strictEqual(seen.length, 8);
  strictEqual(seen[7].Origin, "origin.com");
  ok(seen.slice(0, 7).every((m) => m.Origin === "" && m.scheme === "NA"));
});

Deno.test("runUiSelfTest() reports each failed expectation as clef words it", async () => {
  const answers = [
    "no", // showinfo
    "yes",
    "n", // clique denied → expected no error
    "y",
    "y",
    "y", // text approved although denial was asked → unknown account
    "y", // tx approved → unknown account
    "yes",
    "y", // listing approved → no error
    "n",
    "n",
    "yes",
  ];
  const term = scriptedTerminal(answers);
  const ui = new CliUi(term);
  const r = await runUiSelfTest(ui, uiSigner(ui, []), {
    delayMs: 0,
    sleep: () => Promise.resolve(),
  });
  deepStrictEqual(r.errors, [
    "showinfo: got no, expected yes",
    "signdata - clique header: expected no error, got request denied",
    "signdata - text: expected ErrRequestDenied, got unknown account",
    "signtransaction [1]: expected ErrRequestDenied, got unknown account",
    "signtransaction [2]: got yes, expected no",
    "list: expected ErrRequestDenied, got <nil>",
  ]);
  strictEqual(
    r.summary,
    `Tests completed. 6 errors:\n${r.errors.join("\n")}\n`,
  );
});

Deno.test("runUiSelfTest() records a failing question as its error and an empty answer", async () => {
  const term = scriptedTerminal([]); // end of input: every question fails
  const ui = new CliUi(term);
  const r = await runUiSelfTest(ui, uiSigner(ui, []), {
    sleep: () => Promise.resolve(),
  });
  strictEqual(r.errors[0], "end of input");
  strictEqual(r.errors[1], "showinfo: got , expected yes");
  // denials pass, approvals fail with request denied
  ok(
    r.errors.includes(
      "signdata - clique header: expected no error, got request denied",
    ),
  );
  strictEqual(r.errors.length, 2 * 4 + 3);
});

Deno.test("selfTestCliqueHeader() is the RLP of clef's test header", () => {
  const z = (n: number) => "0x" + "00".repeat(n);
  const extra = "0x" + Array.from(
    new TextEncoder().encode(
      "Extra data Extra data Extra data  Extra data  Extra data  Extra data  Extra data Extra data",
    ),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const want = encodeRlp([
    z(32),
    z(32),
    z(20),
    z(32),
    z(32),
    z(32),
    z(256),
    "0x0539",
    "0x0539",
    "0x053a",
    "0x053a",
    "0x053a",
    extra,
    z(32),
    z(8),
  ]);
  strictEqual(selfTestCliqueHeader(), want);
  strictEqual(SELF_TEST_ADDRESS.length, 42);
  strictEqual(JSON.parse(SELF_TEST_TYPED_DATA).primaryType, "Mail");
});
