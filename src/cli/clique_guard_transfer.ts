/**
 * `stave clique-guard-export` and `stave clique-guard-import <file | ->`
 * (stave, not in clef): move the Clique guard's records between the vault
 * and the guard database (`--guard-db`), or between hosts, as JSON with
 * one record per chain and account:
 *
 * ```json
 * {"format":"stave-clique-guard","version":1,"records":[
 *   {"chainId":"4","account":"0x…","number":"123","sealHash":"0x…"}]}
 * ```
 *
 * Import only ever raises (`CliqueGuard.raise`, under the store's lock or
 * the row lock): a lower height is kept, a conflicting seal hash at the
 * same height is reported and kept. Moving a guard back is
 * `clique-guard-reset`'s job alone.
 *
 * @module
 */
import { join } from "node:path";
import { FatalError } from "../errors.ts";
import { toChecksumAddress } from "../address.ts";
import {
  CliqueGuard,
  type GuardState,
  type RaiseOutcome,
} from "../api/clique_guard.ts";
import { parseStoreFile } from "../vault/aes_gcm_store.ts";
import type { GuardDb } from "../db/pg.ts";
import { type GuardRecord, PgGuardBackend } from "../db/pg_guard.ts";
import { bootWarning, type CommandContext } from "./_context.ts";
import { openGuardDb } from "./guard_db.ts";
import { openVaultFromFlags } from "./secrets.ts";
import { writeFileAtomic } from "./atomic_file.ts";
import { writeStderr, writeStdout } from "./terminal.ts";
import { Logger } from "../log.ts";

/** The `format` member of the interchange file. */
export const GUARD_EXPORT_FORMAT = "stave-clique-guard";
/** The `version` member of the interchange file. */
export const GUARD_EXPORT_VERSION = 1;
/** Largest import file read. */
const MAX_IMPORT_BYTES = 16 << 20;

const KEY_PREFIX = "clique-guard:";
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * Renders records as the interchange JSON (one record per line).
 *
 * @param records The records.
 * @returns The JSON text with a final newline.
 */
export function formatGuardExport(records: readonly GuardRecord[]): string {
  const lines = records.map((r) =>
    JSON.stringify({
      chainId: r.chainId.toString(),
      account: r.account,
      number: r.state.number.toString(),
      sealHash: r.state.sealHash,
    })
  );
  return `{"format":${
    JSON.stringify(GUARD_EXPORT_FORMAT)
  },"version":${GUARD_EXPORT_VERSION},"records":[${
    lines.length === 0 ? "" : "\n" + lines.join(",\n") + "\n"
  }]}\n`;
}

/**
 * Parses and checks interchange JSON; nothing is written on any error.
 *
 * @param text The file content.
 * @returns The records.
 * @throws {SyntaxError} naming the first bad record.
 */
export function parseGuardExport(text: string): GuardRecord[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`not JSON: ${(err as Error).message}`);
  }
  const o = v as Record<string, unknown>;
  if (
    typeof o !== "object" || o === null || o.format !== GUARD_EXPORT_FORMAT
  ) {
    throw new SyntaxError(
      `not a clique-guard-export file (format must be ${
        JSON.stringify(GUARD_EXPORT_FORMAT)
      })`,
    );
  }
  if (o.version !== GUARD_EXPORT_VERSION) {
    throw new SyntaxError(
      `unsupported version ${
        JSON.stringify(o.version)
      } (this stave reads ${GUARD_EXPORT_VERSION})`,
    );
  }
  if (!Array.isArray(o.records)) throw new SyntaxError("records: not a list");
  const seen = new Set<string>();
  return o.records.map((r: Record<string, unknown>, i: number) => {
    const bad = (what: string) => new SyntaxError(`record ${i}: ${what}`);
    if (typeof r !== "object" || r === null) throw bad("not an object");
    const { chainId, account, number, sealHash } = r;
    if (typeof chainId !== "string" || !/^-?(0|[1-9][0-9]*)$/.test(chainId)) {
      throw bad("chainId must be a decimal string");
    }
    const chain = BigInt(chainId);
    if (chain < INT64_MIN || chain > INT64_MAX) throw bad("chainId overflows");
    if (typeof account !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(account)) {
      throw bad("account must be a 0x address");
    }
    if (typeof number !== "string" || !/^(0|[1-9][0-9]*)$/.test(number)) {
      throw bad("number must be a decimal string");
    }
    if (
      sealHash !== null &&
      (typeof sealHash !== "string" || !/^0x[0-9a-f]{64}$/.test(sealHash))
    ) {
      throw bad("sealHash must be null or 0x and 64 lowercase hex digits");
    }
    const checksummed = toChecksumAddress(account);
    const key = `${chain}:${checksummed}`;
    if (seen.has(key)) throw bad(`a second record for ${key}`);
    seen.add(key);
    return {
      chainId: chain,
      account: checksummed,
      state: { number: BigInt(number), sealHash: sealHash as string | null },
    };
  });
}

/**
 * Opens `--guard-db`, runs `fn` on it and closes it; errors become
 * {@linkcode FatalError}s.
 *
 * @param ctx The command context (`--guard-db` is set).
 * @param fn The work.
 * @returns What `fn` returns.
 */
export async function withDb<T>(
  ctx: CommandContext,
  fn: (db: GuardDb) => Promise<T>,
): Promise<T> {
  const db = await openGuardDb(ctx.options.guardDb, ctx.log);
  await db.start();
  try {
    return await fn(db);
  } catch (err) {
    if (err instanceof FatalError) throw err;
    throw new FatalError((err as Error).message, { cause: err });
  } finally {
    await db.close();
  }
}

/**
 * Runs `clique-guard-export <file | ->`: the records into a new 0600 file
 * (written atomically), or on stdout for `-` (log lines then go to
 * stderr; give the master password with `--signersecret`, as a prompt
 * would be on stdout too).
 *
 * @param ctx The command context.
 * @throws {FatalError} vault and database errors.
 */
export async function runCliqueGuardExport(
  command: CommandContext,
): Promise<void> {
  const out = command.args[0];
  if (out === undefined) {
    throw new FatalError(
      "This command requires a file (or - for stdout) as its argument",
    );
  }
  const ctx = out !== "-" ? command : {
    ...command,
    log: new Logger({ level: command.options.loglevel, sink: writeStderr }),
  };
  let records: GuardRecord[];
  if (ctx.options.guardDb !== "") {
    records = await withDb(ctx, (db) => new PgGuardBackend(db).list());
  } else {
    await bootWarning(ctx);
    const vault = await openVaultFromFlags(ctx);
    const guard = new CliqueGuard(vault.config);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await Deno.readFile(join(vault.dir, "config.json"));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw new FatalError((err as Error).message);
      }
    }
    records = [];
    try {
      const keys = bytes === undefined ? [] : [...parseStoreFile(bytes).keys()];
      for (const key of keys.sort()) {
        if (!key.startsWith(KEY_PREFIX)) continue;
        const account = key.slice(KEY_PREFIX.length);
        const state = await guard.state(account);
        if (state) {
          records.push({ chainId: ctx.options.chainId, account, state });
        }
      }
    } catch (err) {
      throw new FatalError(
        `cannot read the clique guard: ${(err as Error).message}`,
      );
    }
  }
  const text = formatGuardExport(records);
  if (out === "-") {
    writeStdout(text);
    return;
  }
  try {
    await writeFileAtomic(out, text, { mode: 0o600 });
  } catch (err) {
    throw new FatalError(`cannot write ${out}: ${(err as Error).message}`);
  }
  ctx.log.info("Clique guard exported", { file: out, records: records.length });
}

async function readInput(arg: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    if (arg === "-") {
      bytes = new Uint8Array(
        await new Response(Deno.stdin.readable).arrayBuffer(),
      );
    } else {
      bytes = await Deno.readFile(arg);
    }
  } catch (err) {
    throw new FatalError(`cannot read ${arg}: ${(err as Error).message}`);
  }
  if (bytes.length > MAX_IMPORT_BYTES) {
    throw new FatalError(`${arg} is larger than ${MAX_IMPORT_BYTES} bytes`);
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Runs `clique-guard-import <file | ->`.
 *
 * @param ctx The command context.
 * @throws {FatalError} on a bad file, a vault or database error, or
 *   conflicting records (after the others were imported).
 */
export async function runCliqueGuardImport(ctx: CommandContext): Promise<void> {
  const arg = ctx.args[0];
  if (arg === undefined) {
    throw new FatalError(
      "This command requires a file (or - for stdin) as its argument",
    );
  }
  let records: GuardRecord[];
  try {
    records = parseGuardExport(await readInput(arg));
  } catch (err) {
    if (err instanceof FatalError) throw err;
    throw new FatalError(`${arg}: ${(err as Error).message}`);
  }
  const outcomes: [GuardRecord, RaiseOutcome][] = [];
  const raiseAll = async (
    guardFor: (chainId: bigint) => CliqueGuard,
  ): Promise<void> => {
    for (const r of records) {
      outcomes.push([r, await guardFor(r.chainId).raise(r.account, r.state)]);
    }
  };
  if (ctx.options.guardDb !== "") {
    await withDb(ctx, (db) => {
      const backend = new PgGuardBackend(db);
      const guards = new Map<bigint, CliqueGuard>();
      return raiseAll((chainId) => {
        let g = guards.get(chainId);
        if (!g) guards.set(chainId, g = new CliqueGuard(backend, { chainId }));
        return g;
      });
    });
  } else {
    const other = records.find((r) => r.chainId !== ctx.options.chainId);
    if (other) {
      throw new FatalError(
        `record for chain ${other.chainId}: the vault keeps the guard of one chain, --chainid ${ctx.options.chainId}; pass --chainid ${other.chainId}, or import into --guard-db`,
      );
    }
    await bootWarning(ctx);
    const vault = await openVaultFromFlags(ctx);
    const guard = new CliqueGuard(vault.config, {
      chainId: ctx.options.chainId,
    });
    try {
      await raiseAll(() => guard);
    } catch (err) {
      throw new FatalError(
        `Failed to update the clique guard: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  const show = (s: GuardState) => `${s.number} ${s.sealHash ?? "(unpinned)"}`;
  for (const [r, outcome] of outcomes) {
    ctx.log.info(`Clique guard record ${outcome}`, {
      chainid: r.chainId.toString(),
      address: r.account,
      imported: show(r.state),
    });
  }
  const conflicts = outcomes.filter(([, o]) => o === "conflict");
  if (conflicts.length > 0) {
    throw new FatalError(
      `${conflicts.length} record(s) conflict (the same height with another seal hash) and were kept: ${
        conflicts.map(([r]) =>
          `chain ${r.chainId} ${r.account} block ${r.state.number}`
        )
          .join(", ")
      }`,
    );
  }
}
