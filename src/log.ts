/**
 * Log records in go-ethereum's terminal format, as clef prints them
 * (spec cli.md §2):
 * `INFO [MM-DD|HH:MM:SS.mmm] msg<padding to 40 columns> key=value ...`.
 *
 * Pure: the sink (where lines go) and the clock are injected. Levels follow
 * `--loglevel`: 0 crit, 1 error, 2 warn, 3 info, 4 debug, 5 trace (a record
 * is written when its level number is ≤ the configured one). The journald
 * mode prefixes each line with its syslog priority (`<3>`, `<4>`, `<6>`...)
 * so `journalctl -p` filters work under systemd.
 *
 * Never pass a secret as a message or value.
 *
 * @module
 */
import { goQuote } from "./ui/go_format.ts";

/** Level numbers as `--loglevel` counts them. */
export const LogLevel = {
  Crit: 0,
  Error: 1,
  Warn: 2,
  Info: 3,
  Debug: 4,
  Trace: 5,
} as const;

/** One of the {@linkcode LogLevel} values. */
export type LogLevelNumber = typeof LogLevel[keyof typeof LogLevel];

const LABELS = ["CRIT ", "ERROR", "WARN ", "INFO ", "DEBUG", "TRACE"];
const SYSLOG_PRIORITY = [2, 3, 4, 6, 7, 7];
const COLORS = [35, 31, 33, 32, 36, 34];

/** Column the message is padded to when key/value pairs follow. */
export const MSG_JUSTIFY = 40;

/** Key/value context of a record (insertion order is kept). */
export type LogContext = Record<string, unknown>;

/** `--log.format` values, as geth's. */
export const LOG_FORMATS = ["terminal", "logfmt", "json"] as const;

/** One of {@linkcode LOG_FORMATS}. */
export type LogFormat = typeof LOG_FORMATS[number];

/** geth's `LevelString` names, by `--loglevel` number. */
const LEVEL_NAMES = ["crit", "error", "warn", "info", "debug", "trace"];

/** Options for {@linkcode Logger}. */
export interface LoggerOptions {
  /** `--loglevel` (values above 5 mean trace; default 3). */
  level?: number;
  /** Receives each finished line, including its `\n`. */
  sink: (line: string) => void;
  /** Clock (default `new Date()`); rendered in local time. */
  now?: () => Date;
  /** Prefix lines with `<priority>` for journald. */
  journald?: boolean;
  /** Colour the level label and keys with ANSI escapes (terminal only). */
  color?: boolean;
  /** Line format (default `terminal`, geth's console format). */
  format?: LogFormat;
  /**
   * Fields of the work in progress (e.g. the request being served), put
   * before each record's own fields; a record's own field of the same name
   * wins.
   */
  context?: () => LogContext | undefined;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/**
 * Renders the `MM-DD|HH:MM:SS.mmm` timestamp (local time).
 *
 * @param d The time.
 * @returns The timestamp text.
 */
export function formatLogTime(d: Date): string {
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}|${pad(d.getHours())}:${
    pad(d.getMinutes())
  }:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** geth's `appendEscapeString`: bare, `"quoted"` if spaces/`=`, else escaped. */
function escapeString(s: string): string {
  let needsQuoting = false;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === " " || ch === "=") {
      needsQuoting = true;
      continue;
    }
    if (c <= 0x22 || c > 0x7e) return goQuote(s);
  }
  return needsQuoting ? `"${s}"` : s;
}

/**
 * Renders one context value as geth's terminal format does: strings bare
 * unless they contain a space or `=` (then quoted) or characters at or
 * below `"` or above `~` (then escaped as a quoted string); `null` is
 * `<nil>`; errors show their message.
 *
 * @param v The value.
 * @returns Its text.
 *
 * @example Usage
 * ```ts
 * import { formatLogValue } from "./log.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(formatLogValue("a b"), '"a b"');
 * strictEqual(formatLogValue("/tmp/x"), "/tmp/x");
 * strictEqual(formatLogValue(null), "<nil>");
 * ```
 */
export function formatLogValue(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (v instanceof Error) return escapeString(v.message);
  if (typeof v === "string") return escapeString(v);
  if (
    typeof v === "number" || typeof v === "bigint" || typeof v === "boolean"
  ) {
    return String(v);
  }
  if (v instanceof Date) return escapeString(v.toISOString());
  if (typeof v === "object") {
    try {
      return escapeString(JSON.stringify(v));
    } catch {
      return escapeString(String(v));
    }
  }
  return escapeString(String(v));
}

/**
 * Makes untrusted text (a rule's console output) safe to write as one log
 * line: backslash and every control character (C0, DEL, C1) and the
 * Unicode line and paragraph separators become escapes (`\\`, `\n`,
 * `\r`, `\t`, `\xNN` below U+0080, `\uNNNN` above), so the text can
 * neither end the line nor start a forged one (a journald priority such as
 * `<0>` only counts at the start of a line), nor drive the terminal.
 * Everything else is kept as is.
 *
 * @param text The text.
 * @returns The text with those characters escaped.
 *
 * @example Usage
 * ```ts
 * import { escapeLogLine } from "./log.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(escapeLogLine("a\n<0>b \\ é"), "a\\n<0>b \\\\ é");
 * ```
 */
export function escapeLogLine(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /[\\\x00-\x1f\x7f-\x9f\u2028\u2029]/g,
    (ch) => {
      switch (ch) {
        case "\\":
          return "\\\\";
        case "\n":
          return "\\n";
        case "\r":
          return "\\r";
        case "\t":
          return "\\t";
      }
      const c = ch.charCodeAt(0);
      return c < 0x80
        ? "\\x" + c.toString(16).padStart(2, "0")
        : "\\u" + c.toString(16).padStart(4, "0");
    },
  );
}

/** A context value as plain data: errors by message, bigints as decimal. */
function plainValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Error) return v.message;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) {
    return "0x" + [...v].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
  return v;
}

/**
 * One record as geth's `--log.format=json` writes it (slog's JSON handler
 * with `t`, `lvl`, `msg`, then the record's fields); one line, no newline.
 *
 * @param time The record's time.
 * @param level Its level.
 * @param msg The message.
 * @param ctx Its fields (a field named `t`, `lvl` or `msg` is renamed with a
 *   leading `_`, so the record's own keys cannot be overwritten).
 * @returns The JSON text.
 *
 * @example Usage
 * ```ts
 * import { formatJsonRecord, LogLevel } from "./log.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   formatJsonRecord(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), LogLevel.Warn, "hi", { n: 1n }),
 *   '{"t":"2026-01-02T03:04:05.006Z","lvl":"warn","msg":"hi","n":"1"}',
 * );
 * ```
 */
export function formatJsonRecord(
  time: Date,
  level: LogLevelNumber,
  msg: string,
  ctx: LogContext,
): string {
  const record: Record<string, unknown> = {
    t: time.toISOString(),
    lvl: LEVEL_NAMES[level],
    msg,
  };
  for (const [k, v] of Object.entries(ctx)) {
    const key = k in record || k.startsWith("_") && k.slice(1) in record
      ? `_${k}`
      : k;
    let value = plainValue(v);
    if (value !== null && typeof value === "object") {
      try {
        value = JSON.parse(JSON.stringify(value, (_, x) => plainValue(x)));
      } catch {
        value = String(v);
      }
    }
    record[key] = value;
  }
  // JSON.stringify escapes control characters and U+2028/9 stays legal
  // JSON; neither can end the line.
  return JSON.stringify(record).replaceAll("\u2028", "\\u2028").replaceAll(
    "\u2029",
    "\\u2029",
  );
}

/** Go slog's text-handler rule: quote empty, spaces, `=`, `"`, controls. */
function logfmtValue(s: string): string {
  // deno-lint-ignore no-control-regex
  if (s !== "" && !/[\s="\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(s)) {
    return s;
  }
  return goQuote(s);
}

/** `2006-01-02T15:04:05-0700` in local time (geth's logfmt time). */
function logfmtTime(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${
    pad(d.getHours())
  }:${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${
    pad(Math.floor(abs / 60))
  }${pad(abs % 60)}`;
}

/**
 * One record as geth's `--log.format=logfmt` writes it:
 * `t=… lvl=info msg="…" key=value …` (slog's text handler quoting).
 *
 * @param time The record's time (rendered in local time).
 * @param level Its level.
 * @param msg The message.
 * @param ctx Its fields.
 * @returns The line, without a newline.
 */
export function formatLogfmtRecord(
  time: Date,
  level: LogLevelNumber,
  msg: string,
  ctx: LogContext,
): string {
  let line = `t=${logfmtTime(time)} lvl=${LEVEL_NAMES[level]} msg=${
    logfmtValue(msg)
  }`;
  for (const [k, v] of Object.entries(ctx)) {
    const p = plainValue(v);
    const text = p === null
      ? "<nil>"
      : typeof p === "object"
      ? JSON.stringify(p, (_, x) => plainValue(x))
      : String(p);
    line += ` ${logfmtValue(k)}=${logfmtValue(text)}`;
  }
  return line;
}

/**
 * A leveled logger writing one line per record.
 *
 * @example Usage
 * ```ts
 * import { Logger } from "./log.ts";
 * import { strictEqual } from "node:assert/strict";
 * const lines: string[] = [];
 * const log = new Logger({ sink: (l) => lines.push(l), now: () => new Date(2026, 5, 3, 16, 39, 12, 7) });
 * log.info("Credential store updated", { set: "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6" });
 * log.debug("hidden");
 * strictEqual(lines.length, 1);
 * strictEqual(
 *   lines[0],
 *   "INFO [06-03|16:39:12.007] Credential store updated                 set=0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6\n",
 * );
 * ```
 */
export class Logger {
  readonly #level: number;
  readonly #sink: (line: string) => void;
  readonly #now: () => Date;
  readonly #journald: boolean;
  readonly #color: boolean;
  readonly #format: LogFormat;
  readonly #context: (() => LogContext | undefined) | undefined;

  /**
   * Creates the logger.
   *
   * @param opts Level, sink, clock and output mode.
   */
  constructor(opts: LoggerOptions) {
    this.#level = opts.level ?? LogLevel.Info;
    this.#sink = opts.sink;
    this.#now = opts.now ?? (() => new Date());
    this.#journald = opts.journald ?? false;
    this.#color = opts.color ?? false;
    this.#format = opts.format ?? "terminal";
    this.#context = opts.context;
  }

  /**
   * Whether records of `level` are written.
   *
   * @param level A {@linkcode LogLevel} number.
   */
  enabled(level: number): boolean {
    return level <= this.#level;
  }

  /**
   * Formats and writes one record if its level is enabled.
   *
   * @param level A {@linkcode LogLevel} number.
   * @param msg The message.
   * @param ctx Key/value pairs, written in insertion order.
   */
  log(level: LogLevelNumber, msg: string, ctx: LogContext = {}): void {
    if (!this.enabled(level)) return;
    const around = this.#context?.();
    this.#sink(
      this.format(
        level,
        msg,
        around === undefined ? ctx : { ...around, ...ctx },
      ),
    );
  }

  /**
   * Formats a record without writing it.
   *
   * @param level A {@linkcode LogLevel} number.
   * @param msg The message.
   * @param ctx Key/value pairs.
   * @returns The line, ending in `\n`.
   */
  format(level: LogLevelNumber, msg: string, ctx: LogContext = {}): string {
    let line = this.#format === "json"
      ? formatJsonRecord(this.#now(), level, msg, ctx)
      : this.#format === "logfmt"
      ? formatLogfmtRecord(this.#now(), level, msg, ctx)
      : this.#terminal(level, msg, ctx);
    if (this.#journald) line = `<${SYSLOG_PRIORITY[level]}>${line}`;
    return line + "\n";
  }

  #terminal(level: LogLevelNumber, msg: string, ctx: LogContext): string {
    const entries = Object.entries(ctx);
    let label = LABELS[level];
    if (this.#color) label = `\x1b[${COLORS[level]}m${label}\x1b[0m`;
    let line = `${label}[${formatLogTime(this.#now())}] ${msg}`;
    if (entries.length > 0 && msg.length < MSG_JUSTIFY) {
      line += " ".repeat(MSG_JUSTIFY - msg.length);
    }
    for (const [k, v] of entries) {
      const key = this.#color ? `\x1b[${COLORS[level]}m${k}\x1b[0m` : k;
      line += ` ${key}=${formatLogValue(v)}`;
    }
    return line;
  }

  /** A critical record (the caller decides whether to exit). */
  crit(msg: string, ctx?: LogContext): void {
    this.log(LogLevel.Crit, msg, ctx);
  }

  /** An error record. */
  error(msg: string, ctx?: LogContext): void {
    this.log(LogLevel.Error, msg, ctx);
  }

  /** A warning record. */
  warn(msg: string, ctx?: LogContext): void {
    this.log(LogLevel.Warn, msg, ctx);
  }

  /** An informational record. */
  info(msg: string, ctx?: LogContext): void {
    this.log(LogLevel.Info, msg, ctx);
  }

  /** A debug record. */
  debug(msg: string, ctx?: LogContext): void {
    this.log(LogLevel.Debug, msg, ctx);
  }

  /** A trace record. */
  trace(msg: string, ctx?: LogContext): void {
    this.log(LogLevel.Trace, msg, ctx);
  }
}
