/**
 * stave library surface: the pure building blocks of the signer.
 *
 * @module
 */
export * from "./src/address.ts";
export * from "./src/errors.ts";
