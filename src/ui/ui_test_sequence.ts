/**
 * The `--stdio-ui-test` self test (spec ui-api.md §4; go-ethereum
 * `cmd/clef/main.go`, `testExternalUI`): a fixed sequence of info/error
 * messages, questions and signing requests that a UI developer answers by
 * hand, ending with a summary of every failed expectation.
 *
 * stave fix (allowed by §4 step 10): the last listing request really
 * carries `Origin: origin.com` in its metadata.
 *
 * @module
 */
import { RequestDeniedError, UnknownAccountError } from "../errors.ts";
import { toChecksumAddress } from "../address.ts";
import { to0xHex, utf8 } from "../_bytes.ts";
import type { JsonValue } from "../json.ts";
import { silentLogger, type UiLogger } from "./guarded_ui.ts";
import {
  internalMetadata,
  type Metadata,
  type SendTxArgsJson,
  type Ui,
} from "./ui.ts";

/** The external-API operations the self test drives. */
export interface SelfTestSigner {
  /** `account_signData` */
  signData(
    contentType: string,
    address: string,
    data: JsonValue,
    meta: Metadata,
  ): Promise<unknown>;
  /** `account_signTypedData` */
  signTypedData(
    address: string,
    typedData: JsonValue,
    meta: Metadata,
  ): Promise<unknown>;
  /** `account_signTransaction` */
  signTransaction(args: SendTxArgsJson, meta: Metadata): Promise<unknown>;
  /** `account_list` */
  list(meta: Metadata): Promise<unknown>;
  /** `account_new` */
  newAccount(meta: Metadata): Promise<unknown>;
}

/** Options for {@linkcode runUiSelfTest}. */
export interface SelfTestOptions {
  /** Pause between a step's message and its action; default 1000 ms. */
  delayMs?: number;
  /** The sleep function (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
  /** Log records (`Test error` per failure, each failure again at the end). */
  logger?: UiLogger;
}

/** The outcome of {@linkcode runUiSelfTest}. */
export interface SelfTestResult {
  /** Failed expectations, in order. */
  errors: string[];
  /** The final ShowInfo text. */
  summary: string;
}

/** The address the self test signs with (not in any keystore). */
export const SELF_TEST_ADDRESS = "0x0011223344556677889900112233445566778899";

/** The EIP-712 Mail/Person document of step 4, as clef sends it. */
export const SELF_TEST_TYPED_DATA =
  '{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],"Person":[{"name":"name","type":"string"},{"name":"test","type":"uint8"},{"name":"wallet","type":"address"}],"Mail":[{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]},"primaryType":"Mail","domain":{"name":"Ether Mail","version":"1","chainId":"1","verifyingContract":"0xCCCcccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},"message":{"from":{"name":"Cow","test":"3","wallet":"0xcD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},"to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB","test":"2"},"contents":"Hello, Bob!"}}';

const CLIQUE_EXTRA =
  "Extra data Extra data Extra data  Extra data  Extra data  Extra data  Extra data Extra data";

function rlpLength(len: number, offset: number): Uint8Array {
  if (len <= 55) return new Uint8Array([offset + len]);
  const bytes: number[] = [];
  for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l % 256);
  return new Uint8Array([offset + 55 + bytes.length, ...bytes]);
}

function rlpBytes(b: Uint8Array): Uint8Array {
  if (b.length === 1 && b[0] < 0x80) return b;
  return new Uint8Array([...rlpLength(b.length, 0x80), ...b]);
}

function rlpUint(n: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return rlpBytes(new Uint8Array(bytes));
}

function rlpList(items: Uint8Array[]): Uint8Array {
  const body = items.flatMap((i) => [...i]);
  return new Uint8Array([...rlpLength(body.length, 0xc0), ...body]);
}

/**
 * The RLP of the test block header of step 3 (go-ethereum `types.Header`
 * with zero hashes, number and difficulty 1337, gas limit, gas used and
 * time 1338, the fixed extra text, no post-London fields).
 *
 * @returns `0x`-hex of the encoded header.
 *
 * @example Usage
 * ```ts
 * import { selfTestCliqueHeader } from "./ui_test_sequence.ts";
 * import { ok } from "node:assert/strict";
 * ok(selfTestCliqueHeader().startsWith("0xf9"));
 * ```
 */
export function selfTestCliqueHeader(): string {
  const zero = (n: number) => rlpBytes(new Uint8Array(n));
  return to0xHex(rlpList([
    zero(32), // parentHash
    zero(32), // sha3Uncles
    zero(20), // miner
    zero(32), // stateRoot
    zero(32), // transactionsRoot
    zero(32), // receiptsRoot
    zero(256), // logsBloom
    rlpUint(1337), // difficulty
    rlpUint(1337), // number
    rlpUint(1338), // gasLimit
    rlpUint(1338), // gasUsed
    rlpUint(1338), // timestamp
    rlpBytes(utf8(CLIQUE_EXTRA)),
    zero(32), // mixHash
    zero(8), // nonce
  ]));
}

function isDenied(e: unknown): boolean {
  return e instanceof RequestDeniedError ||
    (e instanceof Error && e.name === "RequestDeniedError");
}

function isUnknownAccount(e: unknown): boolean {
  return e instanceof UnknownAccountError ||
    (e instanceof Error && e.name === "UnknownAccountError");
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs the self test of ui-api.md §4 against a UI and the signer, then
 * shows `Tests completed. <n> errors:\n<errors>\n` through ShowInfo.
 *
 * @param ui The UI under test (the daemon's UI, rules included).
 * @param signer The signer operations.
 * @param options Delay, sleep function and logger.
 * @returns The failures and the summary text.
 *
 * @example Usage
 * ```ts
 * import { runUiSelfTest } from "./ui_test_sequence.ts";
 * import type { Ui } from "./ui.ts";
 * import { strictEqual } from "node:assert/strict";
 * const shown: string[] = [];
 * const ui = {
 *   showInfo: (t: string) => shown.push(t), showError: () => {},
 *   onInputRequired: () => Promise.resolve({ text: "yes" }),
 * } as unknown as Ui;
 * const ok = () => Promise.resolve("0x");
 * const signer = { signData: ok, signTypedData: ok, signTransaction: ok, list: ok, newAccount: ok };
 * const r = await runUiSelfTest(ui, signer, { delayMs: 0 });
 * strictEqual(r.errors.length, 5);
 * strictEqual(shown.at(-1), r.summary);
 * ```
 */
export async function runUiSelfTest(
  ui: Ui,
  signer: SelfTestSigner,
  options: SelfTestOptions = {},
): Promise<SelfTestResult> {
  const delay = options.delayMs ?? 1000;
  const sleep = options.sleep ??
    ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.logger ?? silentLogger;
  const meta = internalMetadata();
  const errs: string[] = [];
  const addErr = (e: string) => {
    log.info("Test error", { err: e });
    errs.push(e);
  };
  const queryUser = async (q: string): Promise<string> => {
    try {
      const r = await ui.onInputRequired({
        title: "Testing",
        prompt: q,
        isPassword: false,
      });
      return r.text;
    } catch (e) {
      addErr(message(e));
      return "";
    }
  };
  const expectResponse = async (tc: string, q: string, want: string) => {
    const got = await queryUser(q);
    if (got !== want) addErr(`${tc}: got ${got}, expected ${want}`);
  };
  const outcome = async (p: () => Promise<unknown>): Promise<unknown> => {
    try {
      await p();
      return undefined;
    } catch (e) {
      return e ?? new Error("unknown error");
    }
  };
  const expectApprove = (tc: string, err: unknown) => {
    if (err === undefined || isUnknownAccount(err)) return;
    addErr(`${tc}: expected no error, got ${message(err)}`);
  };
  const expectDeny = (tc: string, err: unknown) => {
    if (err === undefined || !isDenied(err)) {
      addErr(
        `${tc}: expected ErrRequestDenied, got ${
          err === undefined ? "<nil>" : message(err)
        }`,
      );
    }
  };
  const step = async (info: string) => {
    ui.showInfo(info);
    await sleep(delay);
  };

  await step("If you see this message, enter 'yes' to next question");
  await expectResponse("showinfo", "Did you see the message? [yes/no]", "yes");
  ui.showError("If you see this message, enter 'yes' to the next question");
  await sleep(delay);
  await expectResponse("showerror", "Did you see the message? [yes/no]", "yes");

  await step("Please approve the next request for signing a clique header");
  expectApprove(
    "signdata - clique header",
    await outcome(() =>
      signer.signData(
        "application/x-clique-header",
        SELF_TEST_ADDRESS,
        selfTestCliqueHeader(),
        meta,
      )
    ),
  );

  await step("Please approve the next request for signing EIP-712 typed data");
  expectApprove(
    "sign 712 typed data",
    await outcome(() =>
      signer.signTypedData(
        SELF_TEST_ADDRESS,
        JSON.parse(SELF_TEST_TYPED_DATA),
        meta,
      )
    ),
  );

  const hello = to0xHex(utf8("hello world"));
  await step("Please approve the next request for signing text");
  expectApprove(
    "signdata - text",
    await outcome(() =>
      signer.signData("text/plain", SELF_TEST_ADDRESS, hello, meta)
    ),
  );

  await step("Please deny the next request for signing text");
  expectDeny(
    "signdata - text",
    await outcome(() =>
      signer.signData("text/plain", SELF_TEST_ADDRESS, hello, meta)
    ),
  );

  await step("Please reject next transaction");
  const a = toChecksumAddress("0xdeadbeef000000000000000000000000deadbeef");
  expectDeny(
    "signtransaction [1]",
    await outcome(() =>
      signer.signTransaction({
        from: a,
        to: a,
        gas: "0x3e8",
        gasPrice: "0x5",
        value: "0x6",
        nonce: "0x1",
        data: "0x",
      }, meta)
    ),
  );
  await expectResponse(
    "signtransaction [2]",
    "Did you see any warnings for the last transaction? (yes/no)",
    "no",
  );

  await step("Please reject listing-request");
  expectDeny("list", await outcome(() => signer.list(meta)));

  await step("Please reject new account-request");
  expectDeny("newaccount", await outcome(() => signer.newAccount(meta)));

  await step(
    "Please check if you see the Origin in next listing (approve or deny)",
  );
  await outcome(() => signer.list({ ...meta, Origin: "origin.com" }));
  await expectResponse(
    "metadata - origin",
    "Did you see origin (origin.com)? [yes/no] ",
    "yes",
  );

  for (const e of errs) log.error(e);
  const summary = `Tests completed. ${errs.length} errors:\n${
    errs.join("\n")
  }\n`;
  ui.showInfo(summary);
  return { errors: errs, summary };
}
