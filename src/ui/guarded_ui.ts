/**
 * Keeps approvals from hanging: {@linkcode withApprovalTimeout} denies an
 * approval nobody answers within `--approval-timeout` (spec ui-api.md §2.1
 * and §5.1, "stave:" notes), and the shared pieces the UIs use to give up
 * on a request: {@linkcode UiCallOptions} (an `AbortSignal` per call),
 * {@linkcode UiUnavailableError} and the denied responses.
 *
 * Cancellation contract: every UI method may take a second, optional
 * `{ signal }` argument. A UI that honours it (the CLI UI, the stdio UI)
 * abandons the request when the signal aborts: the CLI UI drops a queued
 * dialog or stops waiting for the answer of the dialog on screen, prints a
 * short notice and frees the terminal for the next dialog; the stdio UI
 * forgets the request id, so a late reply is ignored as unknown. UIs that
 * ignore the argument (the rules engine) keep working: the wrapper still
 * answers on time and ignores their late answer.
 *
 * @module
 */
import { StaveError } from "../errors.ts";
import type {
  ListRequest,
  ListResponse,
  NewAccountRequest,
  NewAccountResponse,
  SignDataRequest,
  SignDataResponse,
  SignTransactionResult,
  SignTxRequest,
  SignTxResponse,
  StartupInfo,
  Ui,
  UserInputRequest,
  UserInputResponse,
} from "./ui.ts";
import { type DeniedBy, markDenied } from "./ui.ts";

/** The structured logger the UIs log through (daemon log records). */
export interface UiLogger {
  /** An informational record. */
  info(msg: string, kv?: Record<string, unknown>): void;
  /** A warning record (denials, timeouts). */
  warn(msg: string, kv?: Record<string, unknown>): void;
  /** An error record. */
  error(msg: string, kv?: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const silentLogger: UiLogger = {
  info() {},
  warn() {},
  error() {},
};

/** Per-call options a cancellable UI accepts as its second argument. */
export interface UiCallOptions {
  /** Aborted when the caller stops waiting (timeout); the UI gives up. */
  signal?: AbortSignal;
}

/** A {@linkcode Ui} whose requests accept {@linkcode UiCallOptions}. */
export interface CancellableUi extends Ui {
  /** {@linkcode Ui.approveTx} with call options. */
  approveTx(
    request: SignTxRequest,
    options?: UiCallOptions,
  ): Promise<SignTxResponse>;
  /** {@linkcode Ui.approveSignData} with call options. */
  approveSignData(
    request: SignDataRequest,
    options?: UiCallOptions,
  ): Promise<SignDataResponse>;
  /** {@linkcode Ui.approveListing} with call options. */
  approveListing(
    request: ListRequest,
    options?: UiCallOptions,
  ): Promise<ListResponse>;
  /** {@linkcode Ui.approveNewAccount} with call options. */
  approveNewAccount(
    request: NewAccountRequest,
    options?: UiCallOptions,
  ): Promise<NewAccountResponse>;
  /** {@linkcode Ui.onInputRequired} with call options. */
  onInputRequired(
    request: UserInputRequest,
    options?: UiCallOptions,
  ): Promise<UserInputResponse>;
}

/**
 * A user input request that nobody can answer (end of input, UI gone,
 * timeout). The signer turns it into `internal error` while signing.
 */
export class UiUnavailableError extends StaveError {
  /**
   * Creates the error.
   *
   * @param message Why nobody can answer.
   */
  constructor(message: string) {
    super(message);
  }
}

/** The approval request kinds (names as in clef's log lines). */
export type ApprovalKind =
  | "ApproveTx"
  | "ApproveSignData"
  | "ApproveListing"
  | "ApproveNewAccount";

/**
 * The "not approved" response for a request: the transaction unchanged and
 * `approved:false`, `accounts:null`, or `approved:false`.
 *
 * @param kind Which approval.
 * @param request The request being denied.
 * @returns The denied response.
 *
 * @example Usage
 * ```ts
 * import { deniedResponse } from "./guarded_ui.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(deniedResponse("ApproveListing", { accounts: [], meta: {} }), { accounts: null });
 * ```
 */
export function deniedResponse(
  kind: ApprovalKind,
  request: unknown,
): SignTxResponse | SignDataResponse | ListResponse | NewAccountResponse {
  switch (kind) {
    case "ApproveTx":
      return {
        transaction: (request as SignTxRequest).transaction,
        approved: false,
      };
    case "ApproveListing":
      return { accounts: null };
    default:
      return { approved: false };
  }
}

/** Options for {@linkcode withApprovalTimeout}. */
export interface ApprovalTimeoutOptions {
  /** Timer functions (tests); default the global ones. */
  setTimeout?: (fn: () => void, ms: number) => unknown;
  /** Cancels a timer made by `setTimeout`. */
  clearTimeout?: (id: unknown) => void;
  /**
   * Aborted when the daemon shuts down: pending and later approvals are
   * denied at once (input requests fail), so shutdown never waits for a
   * person.
   */
  shutdown?: AbortSignal;
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Wraps a UI so that an approval or input request not answered within `ms`
 * milliseconds is denied (approvals resolve not approved; input requests
 * reject with {@linkcode UiUnavailableError}), with a log line. The wrapped
 * UI gets an aborted signal (see the module doc) and its late answer is
 * ignored. Notifications pass straight through. `ms <= 0` or a non-finite
 * `ms` disables the timeout and returns `ui` itself.
 *
 * @param ui The UI to guard.
 * @param ms Timeout in milliseconds (`--approval-timeout`, default 60 s).
 * @param logger Where the timeout lines go.
 * @param options Injectable timer functions.
 * @returns A UI with the same behaviour plus the timeout.
 *
 * @example Usage
 * ```ts
 * import { withApprovalTimeout, silentLogger } from "./guarded_ui.ts";
 * import type { Ui } from "./ui.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const never = () => new Promise<never>(() => {});
 * const ui = withApprovalTimeout({ approveNewAccount: never } as unknown as Ui, 5, silentLogger);
 * deepStrictEqual(await ui.approveNewAccount({ meta: {} as never }), { approved: false });
 * ```
 */
export function withApprovalTimeout(
  ui: Ui,
  ms: number,
  logger: UiLogger,
  options: ApprovalTimeoutOptions = {},
): CancellableUi {
  const inner = ui as CancellableUi;
  const timed = ms > 0 && Number.isFinite(ms);
  const shutdown = options.shutdown;
  if (!timed && !shutdown) return inner;
  const setT = options.setTimeout ?? ((fn, t) => setTimeout(fn, t));
  const clearT = options.clearTimeout ??
    ((id) => clearTimeout(id as number));

  function guard<T>(
    kind: ApprovalKind | "OnInputRequired",
    outer: AbortSignal | undefined,
    call: (opts: UiCallOptions) => Promise<T>,
    onTimeout: (by: DeniedBy) => T,
  ): Promise<T> {
    const ac = new AbortController();
    const forward = () => ac.abort(outer?.reason);
    if (outer?.aborted) forward();
    else outer?.addEventListener("abort", forward, { once: true });
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = () => {
        done = true;
        if (timer !== undefined) clearT(timer);
        outer?.removeEventListener("abort", forward);
        shutdown?.removeEventListener("abort", onShutdown);
      };
      const giveUp = (
        why: string,
        message: string,
        kv: Record<string, unknown>,
        by: DeniedBy = "timeout",
      ) => {
        if (done) return;
        finish();
        const reason = new UiUnavailableError(why);
        ac.abort(reason);
        if (kind === "OnInputRequired") {
          logger.warn(message.replace("request denied", "no input"), kv);
          reject(reason);
          return;
        }
        logger.warn(message, { request: kind, ...kv });
        try {
          resolve(onTimeout(by));
        } catch (e) {
          reject(e);
        }
      };
      const onShutdown = () =>
        giveUp(
          "signer shutting down",
          "Shutting down, request denied",
          {},
          "shutdown",
        );
      const timer = timed
        ? setT(() =>
          kind === "OnInputRequired"
            ? giveUp(
              `no answer within ${formatDuration(ms)}`,
              "User input timed out",
              { timeout: formatDuration(ms) },
            )
            : giveUp(
              `no answer within ${formatDuration(ms)}`,
              "Approval timed out, request denied",
              { timeout: formatDuration(ms) },
            ), ms)
        : undefined;
      if (shutdown?.aborted) {
        onShutdown();
        return;
      }
      shutdown?.addEventListener("abort", onShutdown, { once: true });
      let p: Promise<T>;
      try {
        p = call({ signal: ac.signal });
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        (v) => {
          if (done) return; // a late answer is ignored
          finish();
          resolve(v);
        },
        (e) => {
          if (done) return;
          finish();
          reject(e);
        },
      );
    });
  }

  return {
    approveTx: (req, o) =>
      guard(
        "ApproveTx",
        o?.signal,
        (opts) => inner.approveTx(req, opts),
        (by) =>
          markDenied(deniedResponse("ApproveTx", req) as SignTxResponse, by),
      ),
    approveSignData: (req, o) =>
      guard(
        "ApproveSignData",
        o?.signal,
        (opts) => inner.approveSignData(req, opts),
        (by) => markDenied({ approved: false }, by),
      ),
    approveListing: (req, o) =>
      guard(
        "ApproveListing",
        o?.signal,
        (opts) => inner.approveListing(req, opts),
        (by) => markDenied({ accounts: null }, by),
      ),
    approveNewAccount: (req, o) =>
      guard(
        "ApproveNewAccount",
        o?.signal,
        (opts) => inner.approveNewAccount(req, opts),
        (by) => markDenied({ approved: false }, by),
      ),
    onInputRequired: (req, o) =>
      guard(
        "OnInputRequired",
        o?.signal,
        (opts) => inner.onInputRequired(req, opts),
        () => {
          throw new UiUnavailableError("no answer");
        },
      ),
    showError: (text: string) => inner.showError(text),
    showInfo: (text: string) => inner.showInfo(text),
    onApprovedTx: (result: SignTransactionResult) => inner.onApprovedTx(result),
    onSignerStartup: (info: StartupInfo) => inner.onSignerStartup(info),
  };
}
