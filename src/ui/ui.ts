/**
 * The UI interface the signer calls (go-ethereum `signer/core/api.go`,
 * `UIClientAPI`), with request and response objects in their wire (JSON)
 * shapes (spec ui-api.md §1). The rules engine, the CLI UI and the stdio UI
 * implement it; the rules engine wraps the next one.
 *
 * Objects are plain JSON values so they can cross a Worker boundary or the
 * stdio JSON-RPC channel unchanged. Field order matters for output and is
 * the order in which the builders create the properties.
 *
 * @module
 */

/** Request metadata (external-api.md §3); attacker-controlled over HTTP. */
export interface Metadata {
  /** TCP peer `ip:port` over HTTP; `NA` otherwise. */
  remote: string;
  /** The `Host` header over HTTP; `NA` otherwise. */
  local: string;
  /** `ipc`, the HTTP protocol (e.g. `HTTP/1.1`), or `NA` for internal calls. */
  scheme: string;
  /** The caller's `User-Agent` header (HTTP), else empty. */
  "User-Agent": string;
  /** The caller's `Origin` header (HTTP), else empty. */
  Origin: string;
}

/** The metadata used for internal requests (CLI subcommands, UI self test). */
export function internalMetadata(): Metadata {
  return {
    remote: "NA",
    local: "NA",
    scheme: "NA",
    "User-Agent": "",
    Origin: "",
  };
}

/** A validation message (`{"type","message"}`); type WARNING, CRITICAL, Info. */
export interface ValidationInfo {
  /** Severity as clef writes it. */
  type: "WARNING" | "CRITICAL" | "Info";
  /** The message text. */
  message: string;
}

/**
 * SendTxArgs in wire form (signing.md §5). Values are hex strings,
 * addresses the caller's original spelling; unknown keys are kept out.
 */
export type SendTxArgsJson = Record<string, unknown>;

/** ui-api.md §1.1 */
export interface SignTxRequest {
  /** The transaction to sign (after validation-time normalisation). */
  transaction: SendTxArgsJson;
  /** Validation messages; `null` when there are none. */
  call_info: ValidationInfo[] | null;
  /** Request metadata (attacker-controlled over HTTP). */
  meta: Metadata;
}

/** ui-api.md §1.1 */
export interface SignTxResponse {
  /** The transaction to sign; the UI may have edited it. */
  transaction: SendTxArgsJson;
  /** True to approve. */
  approved: boolean;
}

/** A NameValueType entry; `value` is a string or a nested list (typed data). */
export interface NameValueType {
  /** Field or entry name. */
  name: string;
  /** A string, or a nested list for typed data. */
  value: unknown;
  /** The type shown next to the name. */
  type: string;
}

/** ui-api.md §1.2 */
export interface SignDataRequest {
  /** Parsed media type (`data/typed` for typed data). */
  content_type: string;
  /** The signer address as the caller wrote it. */
  address: string;
  /** Standard base64 of the exact bytes whose keccak256 is signed. */
  raw_data: string;
  /** What the person is asked to sign, for display. */
  messages: NameValueType[];
  /** Validation messages; `null` when there are none. */
  call_info: ValidationInfo[] | null;
  /** `0x` hex of the digest. */
  hash: string;
  /** Request metadata (attacker-controlled over HTTP). */
  meta: Metadata;
}

/** ui-api.md §1.2 */
export interface SignDataResponse {
  /** True to approve. */
  approved: boolean;
}

/** An account as listed: lowercase `0x` address and `scheme://path` URL. */
export interface AccountJson {
  /** Lowercase `0x` address. */
  address: string;
  /** `scheme://path`, e.g. `keystore:///abs/path`. */
  url: string;
}

/** ui-api.md §1.3 */
export interface ListRequest {
  /** Every account the signer holds. */
  accounts: AccountJson[];
  /** Request metadata (attacker-controlled over HTTP). */
  meta: Metadata;
}

/** ui-api.md §1.3; `accounts` null or absent means denied. */
export interface ListResponse {
  /** The accounts the caller may see; `null` denies. */
  accounts: { address: string; url?: string }[] | null;
}

/** ui-api.md §1.4 */
export interface NewAccountRequest {
  /** Request metadata (attacker-controlled over HTTP). */
  meta: Metadata;
}

/** ui-api.md §1.4 */
export interface NewAccountResponse {
  /** True to approve. */
  approved: boolean;
}

/** ui-api.md §1.5 */
export interface UserInputRequest {
  /** Dialog title, e.g. `Account password`. */
  title: string;
  /** The question shown. */
  prompt: string;
  /** Read without echo. */
  isPassword: boolean;
}

/** ui-api.md §1.5 */
export interface UserInputResponse {
  /** The answer. */
  text: string;
}

/** `{raw, tx}` returned by account_signTransaction (signing.md §6.6). */
export interface SignTransactionResult {
  /** `0x` + the raw network encoding. */
  raw: string;
  /** go-ethereum transaction JSON (key order is the wire order). */
  tx: Record<string, unknown>;
}

/** ui-api.md §1.6 */
export interface StartupInfo {
  /** `extapi_http`, `extapi_ipc`, `extapi_version`, `intapi_version`. */
  info: Record<string, string>;
}

/**
 * What the signer asks of a UI. Approvals resolve to the response; a UI
 * failure rejects (the error reaches the external caller). Notifications
 * never throw.
 */
export interface Ui {
  /** Asks to approve (and possibly edit) a transaction. */
  approveTx(request: SignTxRequest): Promise<SignTxResponse>;
  /** Asks to approve a data signature. */
  approveSignData(request: SignDataRequest): Promise<SignDataResponse>;
  /** Asks which accounts the caller may see. */
  approveListing(request: ListRequest): Promise<ListResponse>;
  /** Asks to approve creating an account. */
  approveNewAccount(request: NewAccountRequest): Promise<NewAccountResponse>;
  /** Asks for text, usually a password. */
  onInputRequired(request: UserInputRequest): Promise<UserInputResponse>;
  /** Shows an error message. */
  showError(text: string): void;
  /** Shows an informational message. */
  showInfo(text: string): void;
  /** Reports a signed transaction. */
  onApprovedTx(result: SignTransactionResult): void;
  /** Reports the endpoints once the signer listens. */
  onSignerStartup(info: StartupInfo): void;
}

/**
 * Who turned a request down (stave: for log lines and metrics; it never
 * reaches the wire, where every denial is clef's `request denied`).
 */
export type DeniedBy =
  | "rule"
  | "operator"
  | "ui"
  | "timeout"
  | "end of input"
  | "shutdown";

const DENIED_BY = Symbol("stave.deniedBy");

/**
 * Marks a "not approved" response with who decided (a hidden property: it
 * is not serialised and a UI process cannot set it).
 *
 * @param response The response object.
 * @param by Who denied; `undefined` leaves the response unmarked.
 * @returns The same object.
 *
 * @example Usage
 * ```ts
 * import { deniedBy, markDenied } from "./ui.ts";
 * import { strictEqual } from "node:assert/strict";
 * const r = markDenied({ approved: false }, "operator");
 * strictEqual(deniedBy(r), "operator");
 * strictEqual(JSON.stringify(r), '{"approved":false}');
 * ```
 */
export function markDenied<T extends object>(
  response: T,
  by: DeniedBy | undefined,
): T {
  if (by !== undefined) {
    Object.defineProperty(response, DENIED_BY, { value: by });
  }
  return response;
}

/**
 * Reads the mark set by {@linkcode markDenied}.
 *
 * @param response A UI response.
 * @returns Who denied it, if a layer said so.
 */
export function deniedBy(response: unknown): DeniedBy | undefined {
  if (typeof response !== "object" || response === null) return undefined;
  return (response as { [DENIED_BY]?: DeniedBy })[DENIED_BY];
}
