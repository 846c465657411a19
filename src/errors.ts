/**
 * Errors a JSON-RPC client (or a CLI user) must see, each carrying its code.
 *
 * Pure code throws built-ins (`TypeError`, `RangeError`, `SyntaxError`);
 * conditions with clef-defined wire text are {@linkcode StaveError}s.
 * `src/rpc/dispatch.ts` alone maps errors to JSON-RPC error objects.
 *
 * @module
 */

/** Base class: an error whose message is safe to send to a caller. */
export class StaveError extends Error {
  /** JSON-RPC error code (go-ethereum uses -32000 for signer errors). */
  readonly code: number = -32000;
  /** Optional JSON-RPC `data` member (only relayed stdio-UI errors use it). */
  readonly data?: unknown;
  /**
   * Creates an error a caller may see.
   *
   * @param message Text the caller sees (never a secret).
   * @param options `cause`, and `code`/`data` to override the defaults.
   */
  constructor(
    message: string,
    options?: ErrorOptions & { code?: number; data?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    if (options?.code !== undefined) this.code = options.code;
    if (options?.data !== undefined) this.data = options.data;
  }
}

/** clef's `ErrRequestDenied`. */
export class RequestDeniedError extends StaveError {
  /** Who denied (rule, operator, timeout, …), for the log; not on the wire. */
  readonly by: string | undefined;
  /**
   * Creates the error.
   *
   * @param by Who denied the request, when known.
   */
  constructor(by?: string) {
    super("request denied");
    this.by = by;
  }
}

/** clef's `accounts.ErrUnknownAccount`. */
export class UnknownAccountError extends StaveError {
  constructor() {
    super("unknown account");
  }
}

/** keystore `ErrDecrypt`: wrong password or damaged key file. */
export class DecryptError extends StaveError {
  constructor() {
    super("could not decrypt key with given password");
  }
}

/** A vault or key file that exists but cannot be used; names the file. */
export class DamagedFileError extends StaveError {
  /** The damaged file. */
  readonly path: string;
  /**
   * Creates the error for one damaged file.
   *
   * @param path The damaged file.
   * @param reason What is wrong with it.
   * @param options `cause`.
   */
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`${path}: ${reason}`, options);
    this.path = path;
  }
}

/** A command-line usage error (exit status 1, message on stderr). */
export class UsageError extends Error {
  /**
   * Creates a usage error.
   *
   * @param message The usage problem.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The daemon's exit status when its start-up found a configuration error
 * (a {@linkcode FatalError} before it serves: wrong master password,
 * unattested rules, insecure file modes, bad paths): sysexits' `EX_CONFIG`,
 * so systemd's `RestartPreventExitStatus=78` stops a restart loop in which
 * every retry would cost a scrypt. Other failures exit 1, as Clef does.
 */
export const EXIT_CONFIG = 78;

/**
 * clef's `utils.Fatalf`: printed as `Fatal: <message>` (stderr, and stdout
 * when it is a different file), exit status 1.
 */
export class FatalError extends Error {
  /**
   * Creates a fatal error.
   *
   * @param message Printed after `Fatal: `.
   * @param options `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FatalError";
  }
}
