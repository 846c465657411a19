/**
 * `stave clique-guard-reset <address> <block>` (stave, not in clef): moves
 * the Clique double-sign guard back for a deliberate reorg recovery, so
 * that `<block>` and the heights after it may be sealed once more.
 *
 * The reset holds the vault's store lock like every other writer, so it
 * cannot be lost to, or undo, a concurrent write; still run it with geth's
 * sealing stopped, since any height from `<block>` on may be signed again.
 *
 * @module
 */
import { FatalError } from "../errors.ts";
import { CliqueGuard } from "../api/clique_guard.ts";
import { bootWarning, type CommandContext } from "./_context.ts";
import { openVaultFromFlags } from "./secrets.ts";
import { addressArgument } from "./setpw.ts";
import { withDb } from "./clique_guard_transfer.ts";
import { PgGuardBackend } from "../db/pg_guard.ts";

/**
 * Runs `clique-guard-reset`.
 *
 * @param ctx The command context.
 * @throws {FatalError} argument, vault and write errors.
 */
export async function runCliqueGuardReset(ctx: CommandContext): Promise<void> {
  const address = await addressArgument(ctx, () => bootWarning(ctx));
  const arg = ctx.args[1];
  if (arg === undefined) {
    throw new FatalError(
      "This command requires a block number as its second argument",
    );
  }
  if (!/^(0|[1-9][0-9]*)$/.test(arg)) {
    throw new FatalError(`Invalid block number specified: ${arg}`);
  }
  const reset = async (guard: CliqueGuard) => {
    try {
      return await guard.reset(address, BigInt(arg));
    } catch (err) {
      throw new FatalError(
        `Failed to update the clique guard: ${(err as Error).message}`,
        { cause: err },
      );
    }
  };
  // With --guard-db the record of --chainid in the shared database (stop
  // every sealer that uses it first), else the vault's.
  const before = ctx.options.guardDb !== ""
    ? await withDb(ctx, (db) =>
      reset(
        new CliqueGuard(new PgGuardBackend(db), {
          chainId: ctx.options.chainId,
        }),
      ))
    : await reset(new CliqueGuard((await openVaultFromFlags(ctx)).config));
  ctx.log.info("Clique guard moved back", {
    address,
    from: before === undefined ? "none" : before.number.toString(),
    "next allowed": arg,
  });
}
