import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { toChecksumAddress } from "../address.ts";
import { CliUi, formatStartupAccounts } from "./cli_ui.ts";
import {
  type UiLogger,
  UiUnavailableError,
  withApprovalTimeout,
} from "./guarded_ui.ts";
import type { Terminal } from "./terminal.ts";
import {
  internalMetadata,
  type Metadata,
  type SignDataRequest,
  type SignTxRequest,
} from "./ui.ts";

/** A terminal fed by a script; with `hold`, reads wait for push(). */
class FakeTerminal implements Terminal {
  out = "";
  eof = false;
  reads: ("line" | "password")[] = [];
  #lines: (string | null)[];
  #hold: boolean;
  #waiters: ((v: string | null) => void)[] = [];
  constructor(lines: (string | null)[] = [], hold = false) {
    this.#lines = [...lines];
    this.#hold = hold;
  }
  write(text: string): void {
    this.out += text;
  }
  #next(): Promise<string | null> {
    if (this.#lines.length > 0) {
      const v = this.#lines.shift()!;
      if (v === null) this.eof = true;
      return Promise.resolve(v);
    }
    if (!this.#hold) {
      this.eof = true;
      return Promise.resolve(null);
    }
    return new Promise((r) => this.#waiters.push(r));
  }
  readLine(): Promise<string | null> {
    this.reads.push("line");
    return this.#next();
  }
  readPassword(): Promise<string | null> {
    this.reads.push("password");
    return this.#next();
  }
  /** Delivers a line (or EOF) to a waiting read, else queues it. */
  push(v: string | null): void {
    const w = this.#waiters.shift();
    if (w) {
      if (v === null) this.eof = true;
      w(v);
    } else this.#lines.push(v);
  }
  get waiting(): number {
    return this.#waiters.length;
  }
}

class RecordingLogger implements UiLogger {
  records: [string, string, Record<string, unknown> | undefined][] = [];
  info(msg: string, kv?: Record<string, unknown>) {
    this.records.push(["info", msg, kv]);
  }
  warn(msg: string, kv?: Record<string, unknown>) {
    this.records.push(["warn", msg, kv]);
  }
  error(msg: string, kv?: Record<string, unknown>) {
    this.records.push(["error", msg, kv]);
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/**
 * True when `p` settles before a 0 ms timer fires: it needed no timer and
 * no I/O, only promise jobs (which all run before the next timer).
 */
async function settlesBeforeTimers(p: Promise<unknown>): Promise<boolean> {
  let timerFired = false;
  const timer = tick().then(() => timerFired = true);
  await p.catch(() => {});
  const settledFirst = !timerFired;
  await timer;
  return settledFirst;
}

const META: Metadata = {
  remote: "127.0.0.1:48486",
  local: "localhost:8550",
  scheme: "HTTP/1.1",
  "User-Agent": "curl/8.0\x1b",
  Origin: 'http://evil"x',
};
const META_BLOCK = "Request context:\n\t127.0.0.1:48486 -> HTTP/1.1 -> " +
  "localhost:8550\n\nAdditional HTTP header data, provided by the external " +
  'caller:\n\tUser-Agent: "curl/8.0\\x1b"\n\tOrigin: "http://evil\\"x"\n';
const INTERNAL_META_BLOCK =
  "Request context:\n\tNA -> NA -> NA\n\nAdditional HTTP header data, " +
  'provided by the external caller:\n\tUser-Agent: ""\n\tOrigin: ""\n';
const RULE = "-------------------------------------------\n";
const CONFIRM = "Approve? [y/N]:\n> ";
const DEADBEEF = "0xdeadbeef000000000000000000000000deadbeef";
const DEADBEEF_CHK = toChecksumAddress(DEADBEEF);

function legacyTx(): SignTxRequest {
  return {
    transaction: {
      from: DEADBEEF_CHK,
      to: DEADBEEF,
      gas: "0x3e8",
      gasPrice: "0x5",
      maxFeePerGas: null,
      maxPriorityFeePerGas: null,
      value: "0x6",
      nonce: "0x1",
      data: "0x01020304",
    },
    call_info: [
      { type: "WARNING", message: "msg1" },
      { type: "Info", message: "msg2" },
    ],
    meta: META,
  };
}

const LEGACY_TX_SCREEN = "--------- Transaction request-------------\n" +
  `to:    ${DEADBEEF}\n` +
  "\nWARNING: Invalid checksum on to-address!\n\n" +
  `from:               ${DEADBEEF_CHK} [chksum ok]\n` +
  "value:              6 wei\n" +
  "gas:                0x3e8 (1000)\n" +
  "gasprice: 5 wei\n" +
  "nonce:    0x1 (1)\n" +
  "data:     0x01020304\n" +
  "\nTransaction validation:\n  * WARNING : msg1\n  * Info : msg2\n\n" +
  "\n" + META_BLOCK + RULE + CONFIRM;

Deno.test("CliUi.approveTx() prints the legacy screen and approves on y", async () => {
  const term = new FakeTerminal(["y"]);
  const ui = new CliUi(term);
  const req = legacyTx();
  const res = await ui.approveTx(req);
  strictEqual(term.out, LEGACY_TX_SCREEN);
  deepStrictEqual(res, { transaction: req.transaction, approved: true });
});

Deno.test("CliUi.approveTx() prints the 1559 screen with access list and blobs", async () => {
  const term = new FakeTerminal(["n"]);
  const ui = new CliUi(term);
  const key = "0x" + "00".repeat(31) + "01";
  const hash = "0x01" + "ab".repeat(31);
  const req: SignTxRequest = {
    transaction: {
      from: DEADBEEF, // lowercase: checksum INVALID
      to: null,
      gas: "0x5208",
      gasPrice: null,
      maxFeePerGas: "0x77359400",
      maxPriorityFeePerGas: null,
      value: "0xde0b6b3a7640000",
      nonce: "0x0",
      accessList: [{ address: DEADBEEF, storageKeys: [key, key] }],
      chainId: "0x1",
      blobVersionedHashes: [hash],
      data: "0x",
    },
    call_info: null,
    meta: internalMetadata(),
  };
  const res = await ui.approveTx(req);
  strictEqual(
    term.out,
    "--------- Transaction request-------------\n" +
      "to:    <contact creation>\n" +
      `from:               ${DEADBEEF} [chksum INVALID]\n` +
      "value:              1000000000000000000 wei\n" +
      "gas:                0x5208 (21000)\n" +
      "maxFeePerGas:          2000000000 wei\n" +
      "maxPriorityFeePerGas:  <nil> wei\n" +
      "nonce:    0x0 (0)\n" +
      "chainid:  0x1\n" +
      "Accesslist:\n" +
      ` 0. ${DEADBEEF_CHK}\n` +
      `   0. ${key}\n   1. ${key}\n` +
      "Blob hashes:\n" +
      `   ${hash}\n` +
      "\n" + INTERNAL_META_BLOCK + RULE + CONFIRM +
      "-----------------------\n",
  );
  strictEqual(res.approved, false);
});

Deno.test("CliUi.approveTx() prints <nil> for a missing gas price", async () => {
  const term = new FakeTerminal(["n"]);
  await new CliUi(term).approveTx({
    transaction: { from: DEADBEEF_CHK, to: DEADBEEF_CHK },
    call_info: null,
    meta: internalMetadata(),
  });
  ok(term.out.includes(`to:    ${DEADBEEF_CHK}\nfrom:`));
  ok(term.out.includes("gasprice: <nil> wei\nnonce:    0x0 (0)\n\n"));
  ok(
    term.out.includes(
      "value:              0 wei\ngas:                0x0 (0)\n",
    ),
  );
});

function signDataRequest(): SignDataRequest {
  return {
    content_type: "data/typed",
    address: "0x0011223344556677889900112233445566778899",
    raw_data: "GUV0aGVyZXVtIFNpZ25lZCBNZXNzYWdlOgoxMWhlbGxvIHdvcmxk",
    messages: [
      {
        name: "EIP712Domain",
        type: "domain",
        value: [
          { name: "name", type: "string", value: "Ether Mail" },
          { name: "chainId", type: "uint256", value: "1 (0x1)" },
        ],
      },
      {
        name: "Mail",
        type: "primary type",
        value: [
          {
            name: "from",
            type: "Person",
            value: [{ name: "name", type: "string", value: 'C"ow\n' }],
          },
          { name: "empty", type: "Person", value: null },
        ],
      },
    ],
    call_info: [{ type: "WARNING", message: "odd" }],
    hash: "0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68",
    meta: META,
  };
}

Deno.test("CliUi.approveSignData() prints the screen with NBSP-indented messages", async () => {
  const term = new FakeTerminal(["y"]);
  const ui = new CliUi(term);
  const res = await ui.approveSignData(signDataRequest());
  const N = "\u00a0";
  strictEqual(
    term.out,
    "-------- Sign data request--------------\n" +
      // 0x0011..99 is all digits but for no letters: its checksum form equals it
      "Account:  0x0011223344556677889900112233445566778899 [chksum ok]\n" +
      "\nValidation messages:\n  * WARNING : odd\n\n" +
      "messages:\n" +
      `${N}${N}EIP712Domain [domain]: \n` +
      `${N.repeat(4)}name [string]: "Ether Mail"\n` +
      `${N.repeat(4)}chainId [uint256]: "1 (0x1)"\n` +
      `${N}${N}Mail [primary type]: \n` +
      `${N.repeat(4)}from [Person]: \n` +
      `${N.repeat(6)}name [string]: "C\\"ow\\n"\n` +
      `${N.repeat(4)}empty [Person]:\n` +
      'raw data:  \n\t"\\x19Ethereum Signed Message:\\n11hello world"\n' +
      "data hash:  0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68\n" +
      RULE + META_BLOCK + CONFIRM,
  );
  deepStrictEqual(res, { approved: true });
});

Deno.test("CliUi.approveSignData() skips the validation block when call_info is null", async () => {
  const term = new FakeTerminal(["no"]);
  const req = signDataRequest();
  req.call_info = null;
  req.messages = [{ name: "message", type: "text/plain", value: "hi" }];
  const res = await new CliUi(term).approveSignData(req);
  ok(
    term.out.includes(
      '[chksum ok]\nmessages:\n\u00a0\u00a0message [text/plain]: "hi"\nraw data:',
    ),
  );
  deepStrictEqual(res, { approved: false });
  ok(term.out.endsWith(CONFIRM + "-----------------------\n"));
});

Deno.test("CliUi.approveListing() prints the accounts and returns all or null", async () => {
  const accounts = [
    { address: DEADBEEF, url: "keystore:///tmp/ks/a" },
    {
      address: "0x0011223344556677889900112233445566778899",
      url: "keystore:///b",
    },
  ];
  const term = new FakeTerminal(["y", "x"]);
  const ui = new CliUi(term);
  const res = await ui.approveListing({ accounts, meta: META });
  const screen = "-------- List Account request--------------\n" +
    "A request has been made to list all accounts. \n" +
    "You can select which accounts the caller can see\n" +
    `  [x] ${DEADBEEF_CHK}\n    URL: keystore:///tmp/ks/a\n` +
    "  [x] 0x0011223344556677889900112233445566778899\n    URL: keystore:///b\n" +
    RULE + META_BLOCK + CONFIRM;
  strictEqual(term.out, screen);
  deepStrictEqual(res, { accounts });
  deepStrictEqual(await ui.approveListing({ accounts, meta: META }), {
    accounts: null,
  });
});

Deno.test("CliUi.approveNewAccount() prints the screen", async () => {
  const term = new FakeTerminal(["y"]);
  const res = await new CliUi(term).approveNewAccount({ meta: META });
  strictEqual(
    term.out,
    "-------- New Account request--------------\n\n" +
      "A request has been made to create a new account. \n" +
      "Approving this operation means that a new account is created,\n" +
      "and the address is returned to the external caller\n\n" +
      META_BLOCK + CONFIRM,
  );
  deepStrictEqual(res, { approved: true });
});

Deno.test("CliUi confirmation re-prompts on empty lines and trims; only y approves", async () => {
  const term = new FakeTerminal(["", "   ", " y \r", "Y", "yes"]);
  const ui = new CliUi(term);
  const meta = internalMetadata();
  strictEqual((await ui.approveNewAccount({ meta })).approved, true);
  ok(term.out.endsWith("Approve? [y/N]:\n> > > "));
  term.out = "";
  strictEqual((await ui.approveNewAccount({ meta })).approved, false);
  ok(term.out.endsWith("Approve? [y/N]:\n> -----------------------\n"));
  strictEqual((await ui.approveNewAccount({ meta })).approved, false);
});

Deno.test("CliUi serialises queued dialogs answered from one pipe", async () => {
  const term = new FakeTerminal(["y", "n", "y", "secret pw "], true);
  const ui = new CliUi(term);
  const meta = internalMetadata();
  const results = await Promise.all([
    ui.approveNewAccount({ meta }),
    ui.approveListing({ accounts: [], meta }),
    ui.approveSignData({ ...signDataRequest(), meta }),
    ui.onInputRequired({ title: "T", prompt: "P", isPassword: true }),
  ]);
  deepStrictEqual(results, [
    { approved: true },
    { accounts: null },
    { approved: true },
    { text: "secret pw " },
  ]);
  const a = term.out.indexOf("-------- New Account request");
  const b = term.out.indexOf("-------- List Account request");
  const c = term.out.indexOf("-------- Sign data request");
  const d = term.out.indexOf("## T\n\nP\n> ");
  ok(0 <= a && a < b && b < c && c < d);
  // each screen is followed by its own prompt before the next screen starts
  strictEqual(term.out.slice(a, b).split("Approve?").length, 2);
  strictEqual(term.out.slice(b, c).split("Approve?").length, 2);
  deepStrictEqual(term.reads, ["line", "line", "line", "password"]);
  ok(term.out.endsWith("## T\n\nP\n> -----------------------\n"));
});

Deno.test("CliUi.onInputRequired() reads a non-empty line when not a password", async () => {
  const term = new FakeTerminal(["", " yes "]);
  const res = await new CliUi(term).onInputRequired({
    title: "Testing",
    prompt: "Did you see the message? [yes/no]",
    isPassword: false,
  });
  deepStrictEqual(res, { text: "yes" });
  strictEqual(
    term.out,
    "## Testing\n\nDid you see the message? [yes/no]\n> > -----------------------\n",
  );
});

Deno.test("CliUi denies at once at end of input and keeps answering", async () => {
  const log = new RecordingLogger();
  const term = new FakeTerminal([]); // stdin at EOF (/dev/null)
  const ui = new CliUi(term, { logger: log });
  // "At once" without a clock: the denial settles before any timer can
  // fire (a UI that waited for input, a delay or an approval timeout would
  // lose this race), which holds however loaded the machine is.
  const pending = ui.approveTx(legacyTx());
  strictEqual(await settlesBeforeTimers(pending), true);
  const res = await pending;
  strictEqual(res.approved, false);
  ok(term.out.endsWith(CONFIRM + "\n")); // the screen was shown, then EOF
  strictEqual(log.records.length, 1);
  strictEqual(log.records[0][0], "warn");
  ok(log.records[0][1].includes("request denied"));
  // later requests: no screen, denied, logged, input requests fail
  term.out = "";
  const later = Promise.all([
    ui.approveListing({ accounts: [], meta: internalMetadata() }),
    ui.approveSignData(signDataRequest()),
    ui.approveNewAccount({ meta: internalMetadata() }),
    ui.onInputRequired({
      title: "Account password",
      prompt: "p",
      isPassword: true,
    }).then(() => "answered", (e) => e),
  ]);
  strictEqual(await settlesBeforeTimers(later), true);
  const [listing, signData, newAccount, input] = await later;
  deepStrictEqual(listing, { accounts: null });
  deepStrictEqual(signData, { approved: false });
  deepStrictEqual(newAccount, { approved: false });
  ok(input instanceof UiUnavailableError, String(input));
  strictEqual(term.out, "");
  strictEqual(log.records.length, 5);
  strictEqual(ui.atEndOfInput, true);
});

Deno.test("CliUi denies every queued dialog when input ends mid-dialog", async () => {
  const term = new FakeTerminal([], true);
  const ui = new CliUi(term);
  const meta = internalMetadata();
  const all = Promise.all([
    ui.approveNewAccount({ meta }),
    ui.approveNewAccount({ meta }),
    ui.onInputRequired({ title: "t", prompt: "p", isPassword: false }).catch(
      (e) => e,
    ),
  ]);
  await tick();
  term.push(null);
  const [r1, r2, r3] = await all;
  strictEqual(r1.approved, false);
  strictEqual(r2.approved, false);
  ok(r3 instanceof UiUnavailableError);
  // only the first dialog was ever shown
  strictEqual(term.out.split("Approve?").length, 2);
});

Deno.test("CliUi skips the screen when the terminal reports eof up front", async () => {
  const term = new FakeTerminal([]);
  term.eof = true;
  const res = await new CliUi(term).approveNewAccount({
    meta: internalMetadata(),
  });
  strictEqual(res.approved, false);
  strictEqual(term.out, "");
  deepStrictEqual(term.reads, []);
});

Deno.test("CliUi abandons an aborted dialog; a late line is dropped, not applied to the next", async () => {
  const log = new RecordingLogger();
  const term = new FakeTerminal([], true);
  const ui = new CliUi(term, { logger: log });
  const meta = internalMetadata();
  const ac = new AbortController();
  const p1 = ui.approveNewAccount({ meta }, { signal: ac.signal });
  await tick();
  strictEqual(term.waiting, 1);
  ac.abort();
  deepStrictEqual(await p1, { approved: false });
  ok(
    term.out.endsWith(
      "> \nNo answer in time, request denied.\n-----------------------\n",
    ),
  );
  // the user answers the abandoned dialog late: ignored
  term.push("y");
  await tick();
  ok(log.records.some(([, m]) => m.startsWith("Input line ignored")));
  // the next dialog starts fresh and reads a new line
  term.out = "";
  const p2 = ui.approveNewAccount({ meta });
  await tick();
  ok(term.out.startsWith("-------- New Account request"));
  term.push("n");
  deepStrictEqual(await p2, { approved: false });
});

Deno.test("CliUi gives the outstanding read to the next dialog once it is on screen", async () => {
  const term = new FakeTerminal([], true);
  const ui = new CliUi(term);
  const meta = internalMetadata();
  const ac = new AbortController();
  const p1 = ui.approveNewAccount({ meta }, { signal: ac.signal });
  await tick();
  ac.abort();
  await p1;
  const p2 = ui.approveListing({ accounts: [], meta });
  await tick();
  term.push("y"); // typed while the listing dialog is on screen
  deepStrictEqual(await p2, { accounts: [] });
  deepStrictEqual(term.reads, ["line"]); // one terminal read served both
});

Deno.test("CliUi drops a queued dialog whose signal aborts before it is shown", async () => {
  const term = new FakeTerminal([], true);
  const ui = new CliUi(term);
  const meta = internalMetadata();
  const ac = new AbortController();
  const p1 = ui.approveNewAccount({ meta });
  const p2 = ui.approveListing({ accounts: [], meta }, { signal: ac.signal });
  const p3 = ui.approveNewAccount({ meta });
  await tick();
  ac.abort();
  deepStrictEqual(await p2, { accounts: null });
  term.push("y");
  await p1;
  await tick();
  term.push("y");
  deepStrictEqual(await p3, { approved: true });
  ok(!term.out.includes("List Account"));
});

Deno.test("withApprovalTimeout() around CliUi denies an unanswered dialog and frees the terminal", async () => {
  const log = new RecordingLogger();
  const term = new FakeTerminal([], true);
  const ui = withApprovalTimeout(new CliUi(term), 20, log);
  const meta = internalMetadata();
  const req = legacyTx();
  const res = await ui.approveTx(req);
  deepStrictEqual(res, { transaction: req.transaction, approved: false });
  await tick();
  ok(
    term.out.endsWith(
      "No answer in time, request denied.\n-----------------------\n",
    ),
  );
  deepStrictEqual(log.records[0], [
    "warn",
    "Approval timed out, request denied",
    { request: "ApproveTx", timeout: "20ms" },
  ]);
  const p = ui.approveNewAccount({ meta });
  await tick();
  term.push("y");
  deepStrictEqual(await p, { approved: true });
  await rejects(
    ui.onInputRequired({ title: "t", prompt: "p", isPassword: true }),
    UiUnavailableError,
  );
});

Deno.test("CliUi.showError() and showInfo() print clef's blocks", () => {
  const term = new FakeTerminal();
  const ui = new CliUi(term);
  ui.showError("bad");
  ui.showInfo("hello");
  strictEqual(term.out, `## Error \nbad\n${RULE}## Info \nhello\n`);
});

Deno.test("CliUi.onApprovedTx() prints the tx as MarshalIndent with prefix", () => {
  const term = new FakeTerminal();
  new CliUi(term).onApprovedTx({
    raw: "0x00",
    tx: { type: "0x0", chainId: "0x1", maxFeePerGas: null, input: "0x" },
  });
  strictEqual(
    term.out,
    'Transaction signed:\n {\n    "type": "0x0",\n    "chainId": "0x1",\n' +
      '    "maxFeePerGas": null,\n    "input": "0x"\n  }\n',
  );
});

Deno.test("CliUi.onSignerStartup() prints the info block then the accounts", async () => {
  const term = new FakeTerminal();
  const accounts = Array.from({ length: 22 }, (_, i) => ({
    address: "0x" + i.toString(16).padStart(40, "0"),
    url: `keystore:///k/${i}`,
  }));
  const ui = new CliUi(term, { listAccounts: () => Promise.resolve(accounts) });
  await ui.onSignerStartup({
    info: {
      extapi_http: "n/a",
      extapi_ipc: "/h/clef.ipc",
      extapi_version: "6.1.0",
      intapi_version: "7.0.1",
    },
  });
  let want = "\n------- Signer info -------\n* extapi_http : n/a\n" +
    "* extapi_ipc : /h/clef.ipc\n* extapi_version : 6.1.0\n" +
    "* intapi_version : 7.0.1\n\n------- Available accounts -------\n";
  for (let i = 0; i < 20; i++) {
    want += `${i}. ${
      toChecksumAddress(accounts[i].address)
    } at keystore:///k/${i}\n`;
  }
  want += "\nFirst 20 accounts listed (2 more available).\n";
  strictEqual(term.out, want);
  strictEqual(formatStartupAccounts([]), "No accounts found\n");
});

Deno.test("CliUi hands the password prompt to the readPassword option", async () => {
  const term = new FakeTerminal([]);
  let first = true;
  const ui = new CliUi(term, {
    readPassword: (prompt) => {
      if (first) {
        term.write("!! Unsupported terminal, password will be echoed.\n");
      }
      first = false;
      term.write(prompt);
      term.write("\n");
      return Promise.resolve("pw");
    },
  });
  const res = await ui.onInputRequired({
    title: "New account password",
    prompt:
      "Please enter a password for the new account to be created (attempt 0 of 3)",
    isPassword: true,
  });
  deepStrictEqual(res, { text: "pw" });
  strictEqual(
    term.out,
    "## New account password\n\nPlease enter a password for the new account to be created (attempt 0 of 3)\n" +
      "!! Unsupported terminal, password will be echoed.\n> \n-----------------------\n",
  );
  deepStrictEqual(term.reads, []);
});
