/**
 * clef's audit log lines (go-ethereum `signer/core/auditlog.go`, spec
 * storage.md §7): one Go `log/slog` text-handler (logfmt) line per external
 * API request and response, e.g.
 *
 * ```
 * time=2026-06-03T16:39:12.123+02:00 level=INFO msg=Version api=signer type=request metadata="{...}"
 * ```
 *
 * This module only formats; the caller supplies the sink that appends the
 * line to the file, and the clock. Passwords never reach it.
 *
 * @module
 */
import { toChecksumAddress } from "../address.ts";
import { toHex } from "../_bytes.ts";
import { goIsPrint, goJsonStringify, goQuote } from "../ui/go_format.ts";
import type { Metadata } from "../ui/ui.ts";

export type { Metadata };

/**
 * An attribute value: a string (quoted only when needed), bytes (always
 * quoted, as slog does for `[]byte`), or `null` for Go's `<nil>`.
 */
export type LogValue = string | Uint8Array | null;

/** Receives one complete line, ending in `\n`. */
export type AuditSink = (line: string) => void | Promise<void>;

/** Clock options for {@linkcode AuditLogger} and {@linkcode formatLogLine}. */
export interface AuditClock {
  /** Current time (default `new Date()`). */
  now?: () => Date;
  /**
   * The local UTC offset at a time, in minutes east of UTC (default: the
   * process time zone, `-date.getTimezoneOffset()`).
   */
  utcOffsetMinutes?: (date: Date) => number;
}

/**
 * slog's `needsQuoting`: empty, or containing a space, `=`, `"`, an ASCII
 * control character, a non-printable or space rune, or U+FFFD (Go cannot
 * tell it from invalid UTF-8). The backslash and DEL stay bare.
 */
function needsQuoting(s: string): boolean {
  if (s.length === 0) return true;
  for (const ch of s.toWellFormed()) {
    const r = ch.codePointAt(0)!;
    if (r < 0x80) {
      if (r === 0x20 || r === 0x3d || r === 0x22 || r < 0x20) return true;
      continue;
    }
    if (r === 0xfffd || !goIsPrint(r)) return true;
  }
  return false;
}

/**
 * Renders one key or value as slog's text handler does.
 *
 * @param value A string, bytes, or `null`.
 * @returns The bare or Go-quoted text.
 *
 * @example Usage
 * ```ts
 * import { formatLogValue } from "./audit_log.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(formatLogValue("a\\b"), "a\\b");
 * strictEqual(formatLogValue("a b"), '"a b"');
 * strictEqual(formatLogValue(""), '""');
 * strictEqual(formatLogValue(null), "<nil>");
 * strictEqual(formatLogValue(new TextEncoder().encode("x")), '"x"');
 * ```
 */
export function formatLogValue(value: LogValue): string {
  if (value === null) return "<nil>";
  if (value instanceof Uint8Array) return goQuote(value);
  return needsQuoting(value) ? goQuote(value) : value;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * Formats a time as slog does: RFC 3339 in the given offset with exactly
 * three fractional digits (truncated), `Z` for a zero offset.
 *
 * @param date The instant.
 * @param offsetMinutes Minutes east of UTC.
 * @returns e.g. `2026-06-03T16:39:12.123+02:00`.
 *
 * @example Usage
 * ```ts
 * import { formatLogTime } from "./audit_log.ts";
 * import { strictEqual } from "node:assert/strict";
 * const d = new Date(Date.UTC(2026, 5, 3, 14, 39, 12, 120));
 * strictEqual(formatLogTime(d, 120), "2026-06-03T16:39:12.120+02:00");
 * strictEqual(formatLogTime(d, 0), "2026-06-03T14:39:12.120Z");
 * ```
 */
export function formatLogTime(date: Date, offsetMinutes: number): string {
  const off = Math.trunc(offsetMinutes);
  const t = new Date(date.getTime() + off * 60_000);
  let zone = "Z";
  if (off !== 0) {
    const a = Math.abs(off);
    zone = `${off < 0 ? "-" : "+"}${pad(Math.floor(a / 60), 2)}:${
      pad(a % 60, 2)
    }`;
  }
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1, 2)}-${
    pad(t.getUTCDate(), 2)
  }T${pad(t.getUTCHours(), 2)}:${pad(t.getUTCMinutes(), 2)}:${
    pad(t.getUTCSeconds(), 2)
  }.${pad(t.getUTCMilliseconds(), 3)}${zone}`;
}

/**
 * Formats one audit line (without the newline):
 * `time=… level=INFO msg=<msg> api=signer <key>=<value>…`.
 *
 * @param time The formatted time ({@linkcode formatLogTime}).
 * @param msg The message (the API method name, or `Configured`).
 * @param attrs Attributes in order, after `api=signer`.
 * @returns The line.
 *
 * @example Usage
 * ```ts
 * import { formatLogLine } from "./audit_log.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   formatLogLine("2026-01-01T00:00:00.000Z", "Configured", [["audit log", "audit.log"]]),
 *   'time=2026-01-01T00:00:00.000Z level=INFO msg=Configured api=signer "audit log"=audit.log',
 * );
 * ```
 */
export function formatLogLine(
  time: string,
  msg: string,
  attrs: ReadonlyArray<readonly [string, LogValue]>,
): string {
  let line = `time=${time} level=INFO msg=${formatLogValue(msg)} api=signer`;
  for (const [k, v] of attrs) {
    line += ` ${formatLogValue(k)}=${formatLogValue(v)}`;
  }
  return line;
}

/**
 * clef's `Metadata.String()`: the metadata's JSON, fields in Go's order.
 *
 * @param meta Request metadata.
 * @returns Compact JSON with Go's escaping.
 */
export function metadataJson(meta: Metadata): string {
  return goJsonStringify({
    remote: meta.remote,
    local: meta.local,
    scheme: meta.scheme,
    "User-Agent": meta["User-Agent"],
    Origin: meta.Origin,
  });
}

/** An error as slog's `%+v` prints it, or `null` (`<nil>`) when absent. */
function errorValue(error: unknown): string | null {
  if (error === undefined || error === null) return null;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Something with clef's address display form (`MixedcaseAddress`). */
export type AddressDisplay = string | { toString(): string };

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/**
 * Writes clef's audit log lines, one method per event (spec §7.2). Each
 * method formats the line and hands it, with its newline, to the sink.
 *
 * @example Usage
 * ```ts
 * import { AuditLogger } from "./audit_log.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const lines: string[] = [];
 * const log = new AuditLogger((l) => { lines.push(l); }, {
 *   now: () => new Date(0),
 *   utcOffsetMinutes: () => 0,
 * });
 * await log.versionResponse("6.1.0");
 * deepStrictEqual(lines, [
 *   "time=1970-01-01T00:00:00.000Z level=INFO msg=Version api=signer type=response data=6.1.0 error=<nil>\n",
 * ]);
 * ```
 */
export class AuditLogger {
  readonly #write: AuditSink;
  readonly #now: () => Date;
  readonly #offset: (d: Date) => number;

  /**
   * Creates a logger writing to a sink.
   *
   * @param write The sink (appends the line to the audit file).
   * @param clock Injectable clock and time zone.
   */
  constructor(write: AuditSink, clock: AuditClock = {}) {
    this.#write = write;
    this.#now = clock.now ?? (() => new Date());
    this.#offset = clock.utcOffsetMinutes ??
      ((d) => -d.getTimezoneOffset());
  }

  /**
   * Formats and writes one line.
   * @param msg The message.
   * @param attrs The attributes after `api=signer`.
   */
  async log(
    msg: string,
    attrs: ReadonlyArray<readonly [string, LogValue]>,
  ): Promise<void> {
    const now = this.#now();
    const line = formatLogLine(
      formatLogTime(now, this.#offset(now)),
      msg,
      attrs,
    );
    await this.#write(line + "\n");
  }

  /**
   * The first line after opening: `msg=Configured … "audit log"=<path>`.
   * @param path The audit log path as given.
   */
  configured(path: string): Promise<void> {
    return this.log("Configured", [["audit log", path]]);
  }

  #request(
    msg: string,
    meta: Metadata,
    attrs: ReadonlyArray<readonly [string, LogValue]> = [],
  ): Promise<void> {
    return this.log(msg, [
      ["type", "request"],
      ["metadata", metadataJson(meta)],
      ...attrs,
    ]);
  }

  /**
   * `account_list` request.
   * @param meta Request metadata.
   */
  listRequest(meta: Metadata): Promise<void> {
    return this.#request("List", meta);
  }

  /**
   * `account_list` response: Go's slice rendering of checksummed addresses
   * (`[]` when none or denied).
   * @param addresses Addresses (bytes or hex strings).
   */
  listResponse(addresses: ReadonlyArray<Uint8Array | string>): Promise<void> {
    const list = `[${addresses.map((a) => toChecksumAddress(a)).join(" ")}]`;
    return this.log("List", [["type", "response"], ["data", list]]);
  }

  /**
   * `account_signTransaction` request.
   * @param meta Request metadata.
   * @param txJson The transaction arguments' JSON (clef `SendTxArgs.String()`).
   * @param methodSelector The selector argument, `undefined` when absent.
   */
  signTransactionRequest(
    meta: Metadata,
    txJson: string,
    methodSelector?: string,
  ): Promise<void> {
    return this.#request("SignTransaction", meta, [
      ["tx", txJson],
      ["methodSelector", methodSelector ?? "<nil>"],
    ]);
  }

  /**
   * `account_signTransaction` response.
   * @param raw The signed raw transaction, `undefined` on failure.
   * @param error The failure, if any.
   */
  signTransactionResponse(raw?: Uint8Array, error?: unknown): Promise<void> {
    return this.log("SignTransaction", [
      ["type", "response"],
      ["data", raw === undefined ? null : toHex(raw)],
      ["error", errorValue(error)],
    ]);
  }

  /**
   * `account_signData` request.
   * @param meta Request metadata.
   * @param addr The address as given (its display form
   *   `<original> [chksum ok|INVALID]`, e.g. a `MixedcaseAddress`).
   * @param dataJson The JSON of the `data` parameter (logged as a quoted
   *   byte string).
   * @param contentType The content type as given.
   */
  signDataRequest(
    meta: Metadata,
    addr: AddressDisplay,
    dataJson: string,
    contentType: string,
  ): Promise<void> {
    return this.#request("SignData", meta, [
      ["addr", String(addr)],
      ["data", new TextEncoder().encode(dataJson)],
      ["content-type", contentType],
    ]);
  }

  /**
   * `account_signData` response.
   * @param signature The signature, `undefined` on failure (`data=""`).
   * @param error The failure, if any.
   */
  signDataResponse(signature?: Uint8Array, error?: unknown): Promise<void> {
    return this.#sigResponse("SignData", signature, error);
  }

  /**
   * `account_signTypedData` request.
   * @param meta Request metadata.
   * @param addr The address display form.
   * @param dataText The typed data as text (clef prints Go's `%+v` dump).
   */
  signTypedDataRequest(
    meta: Metadata,
    addr: AddressDisplay,
    dataText: string,
  ): Promise<void> {
    return this.#request("SignTypedData", meta, [
      ["addr", String(addr)],
      ["data", dataText],
    ]);
  }

  /**
   * `account_signTypedData` response.
   * @param signature The signature, `undefined` on failure.
   * @param error The failure, if any.
   */
  signTypedDataResponse(
    signature?: Uint8Array,
    error?: unknown,
  ): Promise<void> {
    return this.#sigResponse("SignTypedData", signature, error);
  }

  #sigResponse(
    msg: string,
    signature: Uint8Array | undefined,
    error: unknown,
  ): Promise<void> {
    return this.log(msg, [
      ["type", "response"],
      ["data", signature === undefined ? "" : toHex(signature)],
      ["error", errorValue(error)],
    ]);
  }

  /**
   * `account_signGnosisSafeTx` request.
   * @param meta Request metadata.
   * @param addr The address display form.
   * @param safeTxJson The JSON of the safe transaction.
   * @param selector The selector argument, `undefined` when absent.
   */
  signGnosisSafeTxRequest(
    meta: Metadata,
    addr: AddressDisplay,
    safeTxJson: string,
    selector?: string,
  ): Promise<void> {
    return this.#request("SignGnosisSafeTx", meta, [
      ["addr", String(addr)],
      ["data", safeTxJson],
      ["selector", selector ?? "<nil>"],
    ]);
  }

  /**
   * `account_signGnosisSafeTx` response.
   * @param resultJson The JSON of the signed result, `undefined` on failure.
   * @param error The failure, if any.
   */
  signGnosisSafeTxResponse(
    resultJson?: string,
    error?: unknown,
  ): Promise<void> {
    return this.log("SignGnosisSafeTx", [
      ["type", "response"],
      ["data", resultJson ?? null],
      ["error", errorValue(error)],
    ]);
  }

  /**
   * `account_ecRecover` request.
   * @param meta Request metadata.
   * @param data The data bytes.
   * @param sig The signature bytes.
   */
  ecRecoverRequest(
    meta: Metadata,
    data: Uint8Array,
    sig: Uint8Array,
  ): Promise<void> {
    return this.#request("EcRecover", meta, [
      ["data", toHex(data)],
      ["sig", toHex(sig)],
    ]);
  }

  /**
   * `account_ecRecover` response.
   * @param address The recovered address; the zero address on failure.
   * @param error The failure, if any.
   */
  ecRecoverResponse(
    address?: Uint8Array | string,
    error?: unknown,
  ): Promise<void> {
    return this.log("EcRecover", [
      ["type", "response"],
      ["address", toChecksumAddress(address ?? ZERO_ADDRESS)],
      ["error", errorValue(error)],
    ]);
  }

  /**
   * `account_version` request.
   * @param meta Request metadata.
   */
  versionRequest(meta: Metadata): Promise<void> {
    return this.#request("Version", meta);
  }

  /**
   * `account_version` response.
   * @param version The version string (`6.1.0`).
   * @param error The failure, if any.
   */
  versionResponse(version: string, error?: unknown): Promise<void> {
    return this.log("Version", [
      ["type", "response"],
      ["data", version],
      ["error", errorValue(error)],
    ]);
  }
}
