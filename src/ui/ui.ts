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
  type: "WARNING" | "CRITICAL" | "Info";
  message: string;
}

/**
 * SendTxArgs in wire form (signing.md §5). Values are hex strings,
 * addresses the caller's original spelling; unknown keys are kept out.
 */
export type SendTxArgsJson = Record<string, unknown>;

/** ui-api.md §1.1 */
export interface SignTxRequest {
  transaction: SendTxArgsJson;
  call_info: ValidationInfo[] | null;
  meta: Metadata;
}

/** ui-api.md §1.1 */
export interface SignTxResponse {
  transaction: SendTxArgsJson;
  approved: boolean;
}

/** A NameValueType entry; `value` is a string or a nested list (typed data). */
export interface NameValueType {
  name: string;
  value: unknown;
  type: string;
}

/** ui-api.md §1.2 */
export interface SignDataRequest {
  content_type: string;
  address: string;
  /** Standard base64 of the exact bytes whose keccak256 is signed. */
  raw_data: string;
  messages: NameValueType[];
  call_info: ValidationInfo[] | null;
  /** `0x` hex of the digest. */
  hash: string;
  meta: Metadata;
}

/** ui-api.md §1.2 */
export interface SignDataResponse {
  approved: boolean;
}

/** An account as listed: lowercase `0x` address and `scheme://path` URL. */
export interface AccountJson {
  address: string;
  url: string;
}

/** ui-api.md §1.3 */
export interface ListRequest {
  accounts: AccountJson[];
  meta: Metadata;
}

/** ui-api.md §1.3; `accounts` null or absent means denied. */
export interface ListResponse {
  accounts: { address: string; url?: string }[] | null;
}

/** ui-api.md §1.4 */
export interface NewAccountRequest {
  meta: Metadata;
}

/** ui-api.md §1.4 */
export interface NewAccountResponse {
  approved: boolean;
}

/** ui-api.md §1.5 */
export interface UserInputRequest {
  title: string;
  prompt: string;
  isPassword: boolean;
}

/** ui-api.md §1.5 */
export interface UserInputResponse {
  text: string;
}

/** `{raw, tx}` returned by account_signTransaction (signing.md §6.6). */
export interface SignTransactionResult {
  raw: string;
  tx: Record<string, unknown>;
}

/** ui-api.md §1.6 */
export interface StartupInfo {
  info: Record<string, string>;
}

/**
 * What the signer asks of a UI. Approvals resolve to the response; a UI
 * failure rejects (the error reaches the external caller). Notifications
 * never throw.
 */
export interface Ui {
  approveTx(request: SignTxRequest): Promise<SignTxResponse>;
  approveSignData(request: SignDataRequest): Promise<SignDataResponse>;
  approveListing(request: ListRequest): Promise<ListResponse>;
  approveNewAccount(request: NewAccountRequest): Promise<NewAccountResponse>;
  onInputRequired(request: UserInputRequest): Promise<UserInputResponse>;
  showError(text: string): void;
  showInfo(text: string): void;
  onApprovedTx(result: SignTransactionResult): void;
  onSignerStartup(info: StartupInfo): void;
}
