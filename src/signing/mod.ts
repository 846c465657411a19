/**
 * Pure signing: content types, EIP-191, Clique seal hashes, EIP-712 typed
 * data (with clef's validation and display), Gnosis Safe digests,
 * transactions (legacy, 2930, 1559, 4844, 7702), validation and the 4byte
 * database, and the one secp256k1 signing path.
 *
 * @module
 */
export * from "./content_type.ts";
export * from "./eip191.ts";
export * from "./clique.ts";
export * from "./validator_data.ts";
export * from "./eip712.ts";
export * from "./eip712_format.ts";
export * from "./gnosis.ts";
export * from "./sign_data.ts";
export * from "./signature.ts";
export * from "./ecrecover.ts";
export * from "./hexutil.ts";
export * from "./send_tx_args.ts";
export * from "./tx.ts";
export * from "./tx_json.ts";
export * from "./validate.ts";
export * from "./fourbyte.ts";
