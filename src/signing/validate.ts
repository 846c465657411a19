/**
 * clef's transaction validation before the UI sees a request (spec
 * signing.md §7, go-ethereum `signer/fourbyte/validation.go`): immediate
 * errors, WARNING/CRITICAL/Info messages, normalisation of `input` into
 * `data`, blob sidecar completion, and 4byte calldata checks.
 *
 * @module
 */
import { StaveError } from "../errors.ts";
import { goQuote } from "../ui/go_format.ts";
import { decodedCallBytes, verifySelector } from "./abi_decode.ts";
import type { FourByteDb } from "./fourbyte.ts";
import { cloneSendTxArgs, type SendTxArgs } from "./send_tx_args.ts";
import { buildTransaction } from "./tx.ts";

import type { ValidationInfo } from "../ui/ui.ts";
export type { ValidationInfo };

/** Result of {@linkcode validateTransaction}. */
export interface ValidationResult {
  /** Messages in clef's order (empty when none; the wire form is then null). */
  messages: ValidationInfo[];
  /**
   * The normalised request: calldata in `data`, `input` absent, blob
   * commitments/proofs/hashes filled in. This is what the UI is shown.
   */
  args: SendTxArgs;
}

/** A request refused by validation outright (clef's text, -32000). */
export class TxValidationError extends StaveError {}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function invokes(call: Parameters<typeof decodedCallBytes>[0]): string {
  return `Transaction invokes the following method: ${
    goQuote(decodedCallBytes(call))
  }`;
}

/**
 * clef's `ValidateCallData`: ABI shape checks and 4byte/selector decoding
 * of calldata. Appends to `messages`; a verified caller-supplied selector
 * is added to the custom database.
 *
 * @param selector Caller-supplied method selector, if any.
 * @param data The calldata.
 * @param db The 4byte databases.
 * @param messages Message list to append to.
 * @throws {SelectorPanicError} when a selector lacks its parameter list
 * (clef crashes).
 */
export function validateCallData(
  selector: string | undefined,
  data: Uint8Array,
  db: FourByteDb,
  messages: ValidationInfo[],
): void {
  if (data.length === 0) return;
  if (data.length < 4) {
    messages.push({
      type: "WARNING",
      message:
        "Transaction data is not valid ABI (missing the 4 byte call prefix)",
    });
    return;
  }
  const n = data.length - 4;
  if (n % 32 !== 0) {
    messages.push({
      type: "WARNING",
      message:
        `Transaction data is not valid ABI (length should be a multiple of 32 (was ${n}))`,
    });
  }
  if (selector !== undefined) {
    let call;
    try {
      call = verifySelector(selector, data);
    } catch (e) {
      if (e instanceof StaveError) throw e;
      messages.push({
        type: "WARNING",
        message:
          `Transaction contains data, but provided ABI signature could not be matched: ${
            errMessage(e)
          }`,
      });
      return;
    }
    messages.push({ type: "Info", message: invokes(call) });
    db.addSelector(selector, data.subarray(0, 4));
    return;
  }
  let embedded: string;
  try {
    embedded = db.selector(data.subarray(0, 4));
  } catch (e) {
    messages.push({
      type: "WARNING",
      message:
        `Transaction contains data, but the ABI signature could not be found: ${
          errMessage(e)
        }`,
    });
    return;
  }
  try {
    messages.push({
      type: "Info",
      message: invokes(verifySelector(embedded, data)),
    });
  } catch (e) {
    if (e instanceof StaveError) throw e;
    messages.push({
      type: "WARNING",
      message:
        `Transaction contains data, but provided ABI signature could not be verified: ${
          errMessage(e)
        }`,
    });
  }
}

/**
 * clef's `ValidateTransaction`.
 *
 * @param args The decoded request (not modified; a normalised copy is
 * returned).
 * @param selector The optional method selector parameter.
 * @param db The 4byte databases (may grow, see {@linkcode FourByteDb}).
 * @returns Messages and the normalised request.
 * @throws {TxValidationError} `ambiguous request: both "data" and "input"
 * are set and are not identical`, `transaction will create a contract with
 * value but empty code`.
 * @throws {StaveError} transaction building errors (blob sidecar, missing
 * recipient), and clef's crash on a selector without parameter list.
 *
 * @example Usage
 * ```ts
 * import { validateTransaction } from "./validate.ts";
 * import { FourByteDb } from "./fourbyte.ts";
 * import { emptySendTxArgs } from "./send_tx_args.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const { messages } = validateTransaction(emptySendTxArgs(), undefined, new FourByteDb());
 * deepStrictEqual(messages, [
 *   { type: "CRITICAL", message: "Transaction will create a contract with empty code" },
 * ]);
 * ```
 */
export function validateTransaction(
  args: SendTxArgs,
  selector: string | undefined,
  db: FourByteDb,
): ValidationResult {
  const tx = cloneSendTxArgs(args);
  const messages: ValidationInfo[] = [];
  if (
    tx.data !== undefined && tx.input !== undefined &&
    !sameBytes(tx.data, tx.input)
  ) {
    throw new TxValidationError(
      'ambiguous request: both "data" and "input" are set and are not identical',
    );
  }
  buildTransaction(tx); // checks the recipient rules, completes the sidecar
  if (tx.input !== undefined) {
    tx.data = tx.input;
    tx.input = undefined;
  }
  const data = tx.data ?? new Uint8Array(0);
  if (tx.to === undefined) {
    if (data.length === 0) {
      if (tx.value > 0n) {
        throw new TxValidationError(
          "transaction will create a contract with value but empty code",
        );
      }
      messages.push({
        type: "CRITICAL",
        message: "Transaction will create a contract with empty code",
      });
    } else if (data.length < 40) {
      messages.push({
        type: "WARNING",
        message:
          `Transaction will create a contract, but the payload is suspiciously small (${data.length} bytes)`,
      });
    }
    if (selector !== undefined) {
      messages.push({
        type: "WARNING",
        message:
          "Transaction will create a contract, but method selector supplied, indicating an intent to call a method",
      });
    }
    return { messages, args: tx };
  }
  if (!tx.to.validChecksum) {
    messages.push({
      type: "WARNING",
      message: "Invalid checksum on recipient address",
    });
  }
  if (tx.to.bytes.every((b) => b === 0)) {
    messages.push({
      type: "CRITICAL",
      message: "Transaction recipient is the zero address",
    });
  }
  const crit = (message: string) =>
    messages.push({ type: "CRITICAL", message });
  const gp = tx.gasPrice !== undefined;
  if (!gp && tx.maxFeePerGas === undefined) {
    crit("Neither 'gasPrice' nor 'maxFeePerGas' specified.");
  } else if (!gp && tx.maxPriorityFeePerGas === undefined) {
    crit("Neither 'gasPrice' nor 'maxPriorityFeePerGas' specified.");
  } else if (gp && tx.maxFeePerGas !== undefined) {
    crit("Both 'gasPrice' and 'maxFeePerGas' specified.");
  } else if (gp && tx.maxPriorityFeePerGas !== undefined) {
    crit("Both 'gasPrice' and 'maxPriorityFeePerGas' specified.");
  }
  validateCallData(selector, data, db, messages);
  return { messages, args: tx };
}

/**
 * The error clef returns without `--advanced` when any message is a
 * WARNING or CRITICAL: `validation failed: <m1>,<m2>,...`.
 *
 * @param messages Validation messages.
 * @returns The error text, or undefined when there is nothing to refuse.
 *
 * @example Usage
 * ```ts
 * import { validationFailure } from "./validate.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   validationFailure([{ type: "WARNING", message: "a" }, { type: "Info", message: "i" }, { type: "CRITICAL", message: "b" }]),
 *   "validation failed: a,b",
 * );
 * ```
 */
export function validationFailure(
  messages: ValidationInfo[],
): string | undefined {
  const bad = messages.filter((m) =>
    m.type === "WARNING" || m.type === "CRITICAL"
  );
  return bad.length > 0
    ? `validation failed: ${bad.map((m) => m.message).join(",")}`
    : undefined;
}
