/**
 * The built-in command-line UI (go-ethereum `signer/core/cliui.go`): the
 * screens of spec ui-api.md §5 written to a {@linkcode Terminal}, answers
 * read from the same terminal's single line reader, whether or not it is a
 * TTY (so scripted answers piped on stdin work).
 *
 * Differences from clef (ui-api.md §5.1, "stave:"): at end of input every
 * request that needs a person is answered at once (approvals not approved,
 * input requests fail with {@linkcode UiUnavailableError}) with a log line,
 * instead of `log.Crit`; a request may be abandoned through the
 * `{ signal }` call option ({@linkcode UiCallOptions}, used by the
 * approval timeout): a queued dialog is dropped without being shown, a
 * dialog on screen gets a short notice and the terminal moves on.
 *
 * Dialogs (approvals and input requests) are serialised: one at a time, in
 * arrival order. Only one terminal read is ever outstanding. If a dialog is
 * abandoned while its read is outstanding, the line that read returns goes
 * to the next dialog if one is waiting by then (the user typed it while
 * that dialog was on screen), else it is dropped with a log line, so a
 * late "y" can never approve a dialog shown afterwards. (If that next
 * dialog asks for a password, the line was read with echo.)
 *
 * @module
 */
import { fromBase64 } from "../_bytes.ts";
import { isHexAddress, toChecksumAddress } from "../address.ts";
import {
  goJsonStringify,
  goQuote,
  goSanitize,
  goTrimSpace,
} from "./go_format.ts";
import {
  type CancellableUi,
  silentLogger,
  type UiCallOptions,
  type UiLogger,
  UiUnavailableError,
} from "./guarded_ui.ts";
import type { Terminal } from "./terminal.ts";
import type {
  AccountJson,
  ListRequest,
  ListResponse,
  Metadata,
  NameValueType,
  NewAccountRequest,
  NewAccountResponse,
  SignDataRequest,
  SignDataResponse,
  SignTransactionResult,
  SignTxRequest,
  SignTxResponse,
  StartupInfo,
  UserInputRequest,
  UserInputResponse,
  ValidationInfo,
} from "./ui.ts";
import { type DeniedBy, markDenied } from "./ui.ts";

/** How many accounts OnSignerStartup lists (ui-api.md §5.7). */
export const STARTUP_ACCOUNTS_SHOWN = 20;

const RULE = "-------------------------------------------\n";
const SHORT_RULE = "-----------------------\n";
const NBSP = "\u00a0";
const ABORTED = Symbol("aborted");
type ReadResult = string | null | typeof ABORTED;

/** Options for {@linkcode CliUi}. */
export interface CliUiOptions {
  /** Log records (end of input, dropped lines); default silent. */
  logger?: UiLogger;
  /** The accounts OnSignerStartup lists after the info block. */
  listAccounts?: () => Promise<AccountJson[]>;
  /**
   * Prints `prompt` and reads a password, for terminals that must print
   * something before the prompt (the one-time `!! Unsupported terminal,
   * password will be echoed.` warning on a pipe, cli.md §3.2). Without it
   * the UI writes the prompt itself, then calls `terminal.readPassword()`.
   */
  readPassword?: (prompt: string) => Promise<string | null>;
}

function checksumTag(address: string): string {
  const ok = isHexAddress(address) && address === toChecksumAddress(address);
  return `${address} ${ok ? "[chksum ok]" : "[chksum INVALID]"}`;
}

function toBig(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  try {
    if (typeof v === "string") return BigInt(v);
    if (typeof v === "number" || typeof v === "bigint") return BigInt(v);
    return BigInt(String(v));
  } catch {
    return null;
  }
}

/** hexutil.Big `%v` after `.ToInt()`: decimal, `<nil>` when absent. */
function decimal(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  const b = toBig(v);
  return b === null ? String(v) : b.toString();
}

/** hexutil.Uint64 `%v (%v)`: `0x3e8 (1000)`; absent is zero. */
function hexAndDecimal(v: unknown): string {
  const b = toBig(v) ?? 0n;
  return `0x${b.toString(16)} (${b})`;
}

function checksummed(address: unknown): string {
  if (typeof address === "string" && isHexAddress(address)) {
    return toChecksumAddress(address);
  }
  return String(address);
}

/**
 * `showMetadata` of ui-api.md §5.2.
 *
 * @param meta The request metadata (untrusted).
 * @returns The block's text.
 *
 * @example Usage
 * ```ts
 * import { formatMetadata } from "./cli_ui.ts";
 * import { internalMetadata } from "./ui.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   formatMetadata(internalMetadata()),
 *   'Request context:\n\tNA -> NA -> NA\n\nAdditional HTTP header data, provided by the external caller:\n\tUser-Agent: ""\n\tOrigin: ""\n',
 * );
 * ```
 */
export function formatMetadata(meta: Metadata): string {
  return `Request context:\n\t${meta.remote} -> ${meta.scheme} -> ${meta.local}\n` +
    "\nAdditional HTTP header data, provided by the external caller:\n" +
    `\tUser-Agent: ${goSanitize(meta["User-Agent"] ?? "", 200)}\n` +
    `\tOrigin: ${goSanitize(meta.Origin ?? "", 100)}\n`;
}

function formatCallInfo(info: ValidationInfo[]): string {
  return info.map((m) => `  * ${m.type} : ${m.message}\n`).join("");
}

/**
 * The transaction screen of ui-api.md §5.3, without the confirmation.
 *
 * @param req The request.
 * @returns The screen text.
 *
 * @example Usage
 * ```ts
 * import { formatTxRequest } from "./cli_ui.ts";
 * import { internalMetadata } from "./ui.ts";
 * import { ok } from "node:assert/strict";
 * const s = formatTxRequest({ transaction: { to: null, value: "0x6" }, call_info: null, meta: internalMetadata() });
 * ok(s.includes("to:    <contact creation>\n") && s.includes("value:              6 wei\n"));
 * ```
 */
export function formatTxRequest(req: SignTxRequest): string {
  const tx = req.transaction;
  let s = "--------- Transaction request-------------\n";
  const to = tx.to;
  if (to !== null && to !== undefined) {
    const t = String(to);
    s += `to:    ${t}\n`;
    if (!(isHexAddress(t) && t === toChecksumAddress(t))) {
      s += "\nWARNING: Invalid checksum on to-address!\n\n";
    }
  } else {
    s += "to:    <contact creation>\n";
  }
  s += `from:               ${checksumTag(String(tx.from ?? ""))}\n`;
  s += `value:              ${toBig(tx.value) ?? 0n} wei\n`;
  s += `gas:                ${hexAndDecimal(tx.gas)}\n`;
  if (tx.maxFeePerGas !== null && tx.maxFeePerGas !== undefined) {
    s += `maxFeePerGas:          ${decimal(tx.maxFeePerGas)} wei\n`;
    s += `maxPriorityFeePerGas:  ${decimal(tx.maxPriorityFeePerGas)} wei\n`;
  } else {
    s += `gasprice: ${decimal(tx.gasPrice)} wei\n`;
  }
  s += `nonce:    ${hexAndDecimal(tx.nonce)}\n`;
  if (tx.chainId !== null && tx.chainId !== undefined) {
    const c = toBig(tx.chainId);
    s += `chainid:  ${
      c === null ? String(tx.chainId) : "0x" + c.toString(16)
    }\n`;
  }
  const al = tx.accessList;
  if (Array.isArray(al)) {
    s += "Accesslist:\n";
    al.forEach((el, i) => {
      const e = (el ?? {}) as { address?: unknown; storageKeys?: unknown };
      s += ` ${i}. ${checksummed(e.address)}\n`;
      if (Array.isArray(e.storageKeys)) {
        e.storageKeys.forEach((k, j) => {
          s += `   ${j}. ${String(k).toLowerCase()}\n`;
        });
      }
    });
  }
  const blobs = tx.blobVersionedHashes;
  if (Array.isArray(blobs) && blobs.length > 0) {
    s += "Blob hashes:\n";
    for (const h of blobs) s += `   ${String(h).toLowerCase()}\n`;
  }
  if (typeof tx.data === "string" && tx.data.length > 2) {
    s += `data:     ${tx.data.toLowerCase()}\n`;
  }
  if (req.call_info !== null && req.call_info !== undefined) {
    s += "\nTransaction validation:\n" + formatCallInfo(req.call_info) + "\n";
  }
  s += "\n" + formatMetadata(req.meta) + RULE;
  return s;
}

/**
 * `NameValueType.Pprint(depth)` (ui-api.md §5.4).
 *
 * @param nvt The entry.
 * @param depth Nesting depth (1 for top-level messages).
 * @returns The pretty-printed lines.
 *
 * @example Usage
 * ```ts
 * import { pprintNameValue } from "./cli_ui.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(pprintNameValue({ name: "a", type: "string", value: "x" }, 1), '\u00a0\u00a0a [string]: "x"\n');
 * ```
 */
export function pprintNameValue(nvt: NameValueType, depth: number): string {
  let s = NBSP.repeat(depth * 2) + `${nvt.name} [${nvt.type}]: `;
  const v = nvt.value;
  if (Array.isArray(v)) {
    s += "\n";
    for (const child of v) {
      s += pprintNameValue(child as NameValueType, depth + 1);
    }
  } else if (v === null || v === undefined) {
    s += "\n";
  } else {
    s += goQuote(typeof v === "string" ? v : goJsonStringify(v)) + "\n";
  }
  return s;
}

/**
 * The sign-data screen of ui-api.md §5.4, without the confirmation.
 *
 * @param req The request.
 * @returns The screen text.
 *
 * @example Usage
 * ```ts
 * import { formatSignDataRequest } from "./cli_ui.ts";
 * import { internalMetadata } from "./ui.ts";
 * import { ok } from "node:assert/strict";
 * const s = formatSignDataRequest({
 *   content_type: "text/plain", address: "0x0011223344556677889900112233445566778899",
 *   raw_data: "aGk=", messages: [], call_info: null, hash: "0x00", meta: internalMetadata(),
 * });
 * ok(s.includes('raw data:  \n\t"hi"\n'));
 * ```
 */
export function formatSignDataRequest(req: SignDataRequest): string {
  let s = "-------- Sign data request--------------\n";
  s += `Account:  ${checksumTag(String(req.address ?? ""))}\n`;
  if (req.call_info && req.call_info.length !== 0) {
    s += "\nValidation messages:\n" + formatCallInfo(req.call_info) + "\n";
  }
  s += "messages:\n";
  for (const m of req.messages ?? []) {
    s += NBSP + NBSP + goTrimSpace(pprintNameValue(m, 1)) + "\n";
  }
  let raw: Uint8Array;
  try {
    raw = fromBase64(req.raw_data ?? "");
  } catch {
    raw = new TextEncoder().encode(String(req.raw_data));
  }
  s += `raw data:  \n\t${goQuote(raw)}\n`;
  s += `data hash:  ${req.hash}\n`;
  s += RULE + formatMetadata(req.meta);
  return s;
}

/**
 * The account-listing screen of ui-api.md §5.5, without the confirmation.
 *
 * @param req The request.
 * @returns The screen text.
 *
 * @example Usage
 * ```ts
 * import { formatListRequest } from "./cli_ui.ts";
 * import { internalMetadata } from "./ui.ts";
 * import { ok } from "node:assert/strict";
 * ok(formatListRequest({ accounts: [], meta: internalMetadata() }).startsWith("-------- List Account request"));
 * ```
 */
export function formatListRequest(req: ListRequest): string {
  let s = "-------- List Account request--------------\n" +
    "A request has been made to list all accounts. \n" +
    "You can select which accounts the caller can see\n";
  for (const a of req.accounts ?? []) {
    s += `  [x] ${checksummed(a.address)}\n    URL: ${a.url}\n`;
  }
  return s + RULE + formatMetadata(req.meta);
}

/**
 * The new-account screen of ui-api.md §5.6, without the confirmation.
 *
 * @param req The request.
 * @returns The screen text.
 *
 * @example Usage
 * ```ts
 * import { formatNewAccountRequest } from "./cli_ui.ts";
 * import { internalMetadata } from "./ui.ts";
 * import { ok } from "node:assert/strict";
 * ok(formatNewAccountRequest({ meta: internalMetadata() }).includes("create a new account. \n"));
 * ```
 */
export function formatNewAccountRequest(req: NewAccountRequest): string {
  return "-------- New Account request--------------\n\n" +
    "A request has been made to create a new account. \n" +
    "Approving this operation means that a new account is created,\n" +
    "and the address is returned to the external caller\n\n" +
    formatMetadata(req.meta);
}

type DialogKind =
  | "ApproveTx"
  | "ApproveSignData"
  | "ApproveListing"
  | "ApproveNewAccount"
  | "OnInputRequired";

/**
 * The built-in terminal UI. See the module documentation for the
 * end-of-input, cancellation and queueing rules.
 *
 * @example Usage
 * ```ts
 * import { CliUi } from "./cli_ui.ts";
 * import { internalMetadata } from "./ui.ts";
 * import { strictEqual } from "node:assert/strict";
 * const lines = ["y"];
 * let out = "";
 * const ui = new CliUi({
 *   write: (t) => { out += t; },
 *   readLine: () => Promise.resolve(lines.shift() ?? null),
 *   readPassword: () => Promise.resolve(lines.shift() ?? null),
 *   eof: false,
 * });
 * strictEqual((await ui.approveNewAccount({ meta: internalMetadata() })).approved, true);
 * strictEqual(out.endsWith("Approve? [y/N]:\n> "), true);
 * ```
 */
export class CliUi implements CancellableUi {
  #term: Terminal;
  #log: UiLogger;
  #listAccounts?: () => Promise<AccountJson[]>;
  #readPassword?: (prompt: string) => Promise<string | null>;
  #eof = false;
  #busy = false;
  #queue: (() => void)[] = [];
  #pending: Promise<string | null> | null = null;
  #waiter: ((v: string | null) => void) | null = null;

  /**
   * Creates the UI; nothing is read until a dialog needs an answer.
   *
   * @param terminal Where screens go and answers come from.
   * @param options Logger and the account lister for OnSignerStartup.
   */
  constructor(terminal: Terminal, options: CliUiOptions = {}) {
    this.#term = terminal;
    this.#log = options.logger ?? silentLogger;
    this.#listAccounts = options.listAccounts;
    this.#readPassword = options.readPassword;
  }

  /** True once end of input was seen: every dialog is now answered at once. */
  get atEndOfInput(): boolean {
    return this.#eof || this.#term.eof;
  }

  #acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const go = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      };
      const onAbort = () => {
        const i = this.#queue.indexOf(go);
        if (i >= 0) this.#queue.splice(i, 1);
        resolve(false);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(go);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#busy = false;
  }

  /**
   * One read through the single outstanding terminal read. A password read
   * writes `prompt` first (or lets the `readPassword` option do it); a line
   * read expects the caller to have written its prompt.
   */
  #read(
    kind: "line" | "password",
    signal?: AbortSignal,
    prompt = "",
  ): Promise<ReadResult> {
    if (this.atEndOfInput) return Promise.resolve(null);
    if (signal?.aborted) return Promise.resolve(ABORTED);
    if (this.#pending && prompt !== "") this.#term.write(prompt);
    if (!this.#pending) {
      let p: Promise<string | null>;
      try {
        if (kind === "line") {
          p = this.#term.readLine();
        } else if (this.#readPassword) {
          p = this.#readPassword(prompt);
        } else {
          this.#term.write(prompt);
          p = this.#term.readPassword();
        }
      } catch (e) {
        p = Promise.reject(e);
      }
      const settle = (v: string | null) => {
        this.#pending = null;
        if (v === null) this.#eof = true;
        const w = this.#waiter;
        this.#waiter = null;
        if (w) w(v);
        else if (v !== null) {
          this.#log.info("Input line ignored: no dialog was waiting for it");
        }
      };
      this.#pending = p;
      p.then(settle, (err) => {
        this.#log.error("Failed to read user input", { err: String(err) });
        settle(null);
      });
    }
    return new Promise((resolve) => {
      const onAbort = () => {
        if (this.#waiter === done) this.#waiter = null;
        resolve(ABORTED);
      };
      const done = (v: string | null) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(v);
      };
      this.#waiter = done;
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** clef's `readString`: `> `, a line, trimmed; empty lines re-prompt. */
  async #readString(signal?: AbortSignal): Promise<ReadResult> {
    for (;;) {
      this.#term.write("> ");
      const v = await this.#read("line", signal);
      if (v === null || v === ABORTED) return v;
      const t = goTrimSpace(v);
      if (t !== "") return t;
    }
  }

  #endOfInput(kind: DialogKind): void {
    this.#log.warn(
      kind === "OnInputRequired"
        ? "Failed to read user input, no answer possible"
        : "Failed to read user input, request denied",
      { request: kind, err: "EOF" },
    );
  }

  /**
   * Shows a screen and asks `Approve? [y/N]:`; true only for `y`, else who
   * denied (the operator, the end of input, or the caller's abort).
   */
  async #confirm(
    kind: DialogKind,
    screen: () => string,
    signal?: AbortSignal,
  ): Promise<true | DeniedBy> {
    if (this.atEndOfInput) {
      this.#endOfInput(kind);
      return "end of input";
    }
    if (!(await this.#acquire(signal))) return "timeout";
    try {
      if (this.atEndOfInput) {
        this.#endOfInput(kind);
        return "end of input";
      }
      this.#term.write(screen());
      this.#term.write("Approve? [y/N]:\n");
      const answer = await this.#readString(signal);
      if (answer === ABORTED) {
        this.#term.write("\nNo answer in time, request denied.\n" + SHORT_RULE);
        return "timeout";
      }
      if (answer === null) {
        // end the dangling "> " so later output starts on its own line
        this.#term.write("\n");
        this.#endOfInput(kind);
        return "end of input";
      }
      if (answer === "y") return true;
      this.#term.write(SHORT_RULE);
      return "operator";
    } finally {
      this.#release();
    }
  }

  /** ui-api.md §5.3; approval returns the transaction unchanged. */
  async approveTx(
    request: SignTxRequest,
    options?: UiCallOptions,
  ): Promise<SignTxResponse> {
    const ok = await this.#confirm(
      "ApproveTx",
      () => formatTxRequest(request),
      options?.signal,
    );
    return markDenied(
      { transaction: request.transaction, approved: ok === true },
      ok === true ? undefined : ok,
    );
  }

  /** ui-api.md §5.4 */
  async approveSignData(
    request: SignDataRequest,
    options?: UiCallOptions,
  ): Promise<SignDataResponse> {
    const ok = await this.#confirm(
      "ApproveSignData",
      () => formatSignDataRequest(request),
      options?.signal,
    );
    return markDenied({ approved: ok === true }, ok === true ? undefined : ok);
  }

  /** ui-api.md §5.5; `y` returns every account, anything else `null`. */
  async approveListing(
    request: ListRequest,
    options?: UiCallOptions,
  ): Promise<ListResponse> {
    const ok = await this.#confirm(
      "ApproveListing",
      () => formatListRequest(request),
      options?.signal,
    );
    return markDenied(
      { accounts: ok === true ? request.accounts : null },
      ok === true ? undefined : ok,
    );
  }

  /** ui-api.md §5.6 */
  async approveNewAccount(
    request: NewAccountRequest,
    options?: UiCallOptions,
  ): Promise<NewAccountResponse> {
    const ok = await this.#confirm(
      "ApproveNewAccount",
      () => formatNewAccountRequest(request),
      options?.signal,
    );
    return markDenied({ approved: ok === true }, ok === true ? undefined : ok);
  }

  /**
   * ui-api.md §5.7: `## <title>\n\n<prompt>\n`, a password (prompt
   * `> `, see the `readPassword` option) or a non-empty line, then
   * `-----------------------\n`.
   * @throws {UiUnavailableError} at end of input or when abandoned.
   */
  async onInputRequired(
    request: UserInputRequest,
    options?: UiCallOptions,
  ): Promise<UserInputResponse> {
    const signal = options?.signal;
    if (this.atEndOfInput) {
      this.#endOfInput("OnInputRequired");
      throw new UiUnavailableError("end of input");
    }
    if (!(await this.#acquire(signal))) {
      throw new UiUnavailableError("no answer");
    }
    try {
      if (this.atEndOfInput) {
        this.#endOfInput("OnInputRequired");
        throw new UiUnavailableError("end of input");
      }
      this.#term.write(`## ${request.title}\n\n${request.prompt}\n`);
      let v: ReadResult;
      if (request.isPassword) {
        v = await this.#read("password", signal, "> ");
      } else {
        v = await this.#readString(signal);
      }
      if (v === ABORTED) {
        this.#term.write("\nNo answer in time.\n" + SHORT_RULE);
        throw new UiUnavailableError("no answer");
      }
      this.#term.write(SHORT_RULE);
      if (v === null) {
        this.#endOfInput("OnInputRequired");
        throw new UiUnavailableError("end of input");
      }
      return { text: v };
    } finally {
      this.#release();
    }
  }

  /** `## Error \n<text>\n` + rule. */
  showError(text: string): void {
    this.#term.write(`## Error \n${text}\n${RULE}`);
  }

  /** `## Info \n<text>\n`. */
  showInfo(text: string): void {
    this.#term.write(`## Info \n${text}\n`);
  }

  /** `Transaction signed:\n ` + MarshalIndent(tx, "  ", "  ") + `\n`. */
  onApprovedTx(result: SignTransactionResult): void {
    let json: string;
    try {
      json = goJsonStringify(result.tx, { prefix: "  ", indent: "  " });
    } catch (e) {
      this.#term.write(`Transaction signed:\n WARN: marshalling error ${e}\n`);
      return;
    }
    this.#term.write(`Transaction signed:\n ${json}\n`);
  }

  /**
   * The signer info block, then (asynchronously) the account list.
   * Resolves once both are written (callers need not wait).
   */
  onSignerStartup(info: StartupInfo): Promise<void> {
    let s = "\n------- Signer info -------\n";
    for (const [k, v] of Object.entries(info.info)) s += `* ${k} : ${v}\n`;
    this.#term.write(s);
    const list = this.#listAccounts;
    if (!list) return Promise.resolve();
    return list().then(
      (accounts) => this.#term.write(formatStartupAccounts(accounts)),
      (err) => this.#log.error("Error listing accounts", { err: String(err) }),
    );
  }
}

/**
 * The account list printed after the signer info (ui-api.md §5.7).
 *
 * @param accounts All accounts.
 * @returns `No accounts found\n`, or the header and the first 20 entries.
 *
 * @example Usage
 * ```ts
 * import { formatStartupAccounts } from "./cli_ui.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(formatStartupAccounts([]), "No accounts found\n");
 * ```
 */
export function formatStartupAccounts(accounts: AccountJson[]): string {
  if (accounts.length === 0) return "No accounts found\n";
  let s = "\n------- Available accounts -------\n";
  accounts.slice(0, STARTUP_ACCOUNTS_SHOWN).forEach((a, i) => {
    s += `${i}. ${checksummed(a.address)} at ${a.url}\n`;
  });
  if (accounts.length > STARTUP_ACCOUNTS_SHOWN) {
    s += `\nFirst ${STARTUP_ACCOUNTS_SHOWN} accounts listed (${
      accounts.length - STARTUP_ACCOUNTS_SHOWN
    } more available).\n`;
  }
  return s;
}
