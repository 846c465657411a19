/**
 * A small async mutex: callers run one at a time, in arrival order.
 *
 * @module
 */

/** Runs `fn` when every earlier call has settled. */
export type RunExclusive = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Creates an async mutex.
 *
 * @returns A function that runs its argument exclusively.
 *
 * @example Usage
 * ```ts
 * import { createMutex } from "./_mutex.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const run = createMutex();
 * const order: number[] = [];
 * await Promise.all([1, 2, 3].map((i) => run(async () => { order.push(i); })));
 * deepStrictEqual(order, [1, 2, 3]);
 * ```
 */
export function createMutex(): RunExclusive {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const result = tail.then(() => fn());
    tail = result.catch(() => {});
    return result;
  };
}
