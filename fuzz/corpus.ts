/**
 * Valid starting points: one or more well-formed requests of every
 * `account_*` method (the shapes geth and Nethermind send, the testdata/
 * vectors), from which the mutators derive the fuzz cases.
 *
 * @module
 */
import {
  arr,
  fromJs,
  type J,
  NULL,
  obj,
  type Rng,
  str,
  toHex,
} from "./model.ts";
import { getAddress } from "ethers";
import { cliqueHeader, cliqueRlp, hexOfText } from "../tests/_daemon.ts";

/** The methods of the external API (src/api/rpc_methods.ts) and rpc_modules. */
export const METHODS = [
  "account_version",
  "account_list",
  "account_new",
  "account_signTransaction",
  "account_signData",
  "account_signTypedData",
  "account_signGnosisSafeTx",
  "account_ecRecover",
  "rpc_modules",
] as const;

const TO = getAddress("0xd9c9cd5f6779558b6e0ed4e6acf6b1947e7fa1f3");
const ROOT = new URL("../", import.meta.url);

function readJson(rel: string): unknown {
  return JSON.parse(Deno.readTextFileSync(new URL(rel, ROOT)));
}

/** Typed-data documents from testdata/ that clef accepts. */
function typedDataCorpus(): unknown[] {
  const out: unknown[] = [];
  for (
    const rel of [
      "testdata/eip712/arrays-1.json",
      "testdata/eip712/custom_arraytype.json",
      "testdata/eip712/eip712.json",
      "testdata/eip712/inline/complex.json",
      "testdata/eip712/inline/gnosis_typed.json",
    ]
  ) {
    try {
      out.push(readJson(rel));
    } catch {
      // a vector file moved: the others still serve
    }
  }
  // expfail vectors are good near-misses too
  for (const e of Deno.readDirSync(new URL("testdata/eip712/", ROOT))) {
    if (e.isFile && e.name.startsWith("expfail_")) {
      try {
        out.push(readJson(`testdata/eip712/${e.name}`));
      } catch {
        // not JSON: skipped
      }
    }
  }
  return out;
}

let typedCache: unknown[] | undefined;
let gnosisCache: unknown[] | undefined;

/** A zero blob sidecar: commitment and proof are the point at infinity. */
async function zeroBlob(): Promise<Record<string, unknown>> {
  const infinity = new Uint8Array(48);
  infinity[0] = 0xc0;
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", infinity));
  h[0] = 0x01;
  return {
    blob: "0x" + "00".repeat(131072),
    commitment: "0x" + toHex(infinity),
    versionedHash: "0x" + toHex(h),
  };
}
const ZERO_BLOB = await zeroBlob();

/** Everything a base request needs to know about the signer. */
export interface CorpusContext {
  /** The account's checksummed address. */
  address: string;
  /** `--chainid` as 0x hex. */
  chainHex: string;
  /** Monotonic Clique height source (so the guard sees fresh heights). */
  nextHeight(): bigint;
}

function tx(c: CorpusContext, r: Rng): Record<string, unknown> {
  const base: Record<string, unknown> = {
    from: c.address,
    to: r.chance(0.1) ? null : TO,
    gas: "0x5208",
    value: "0x" + r.int(1 << 30).toString(16),
    nonce: "0x" + r.int(1 << 20).toString(16),
    input: r.chance(0.5) ? "0x" : "0xa9059cbb" + "00".repeat(64),
    chainId: c.chainHex,
  };
  switch (r.int(5)) {
    case 0:
      return { ...base, gasPrice: "0x3b9aca00" };
    case 1:
      return {
        ...base,
        gasPrice: "0x3b9aca00",
        accessList: [{
          address: TO,
          storageKeys: ["0x" + "00".repeat(31) + "01"],
        }],
      };
    case 2:
      return {
        ...base,
        maxFeePerGas: "0x77359400",
        maxPriorityFeePerGas: "0x3b9aca00",
        accessList: [],
      };
    case 3: {
      const withSidecar = r.chance(0.05); // a 256 KiB body: rare
      return {
        ...base,
        to: TO,
        maxFeePerGas: "0x77359400",
        maxPriorityFeePerGas: "0x3b9aca00",
        maxFeePerBlobGas: "0x1",
        blobVersionedHashes: [ZERO_BLOB.versionedHash],
        ...(withSidecar
          ? {
            blobs: [ZERO_BLOB.blob],
            commitments: [ZERO_BLOB.commitment],
            proofs: [ZERO_BLOB.commitment],
          }
          : {}),
      };
    }
    default:
      return {
        ...base,
        to: TO,
        maxFeePerGas: "0x77359400",
        maxPriorityFeePerGas: "0x3b9aca00",
        authorizationList: [{
          chainId: c.chainHex,
          address: TO,
          nonce: "0x1",
          yParity: "0x0",
          r: "0x" + "11".repeat(32),
          s: "0x" + "22".repeat(32),
        }],
      };
  }
}

function signDataParams(c: CorpusContext, r: Rng, addr: string): J {
  switch (r.int(5)) {
    case 0:
    case 1: {
      const h = cliqueHeader(c.nextHeight(), {
        baseFee: r.chance(0.5) ? 875_000_000n : undefined,
        difficulty: r.chance(0.5) ? 1n : 2n,
      });
      return arr([
        str("application/x-clique-header"),
        str(addr),
        str(cliqueRlp(h)),
      ]);
    }
    case 2:
      return arr([
        str("text/plain"),
        str(addr),
        str(hexOfText(`fuzz message ${r.int(1e9)}`)),
      ]);
    case 3:
      return arr([
        str("data/validator"),
        str(addr),
        obj([["address", str(TO)], [
          "message",
          str("0x" + r.hex(2 * r.size(64))),
        ]]),
      ]);
    default: {
      typedCache ??= typedDataCorpus();
      const td = JSON.stringify(r.pick(typedCache));
      return arr([
        str("data/typed"),
        str(addr),
        str("0x" + toHex(new TextEncoder().encode(td))),
      ]);
    }
  }
}

/**
 * A valid `params` array for a method (undefined: send no `params`).
 *
 * @param method The method.
 * @param c Signer facts.
 * @param r The case's PRNG.
 * @returns The params tree, or undefined.
 */
export function baseParams(
  method: string,
  c: CorpusContext,
  r: Rng,
): J | undefined {
  const addr = r.chance(0.5) ? c.address : c.address.toLowerCase();
  switch (method) {
    case "account_signTransaction": {
      const p: J[] = [fromJs(tx(c, r))];
      if (r.chance(0.2)) p.push(str("transfer(address,uint256)"));
      return arr(p);
    }
    case "account_signData":
      return signDataParams(c, r, addr);
    case "account_signTypedData":
      typedCache ??= typedDataCorpus();
      return arr([str(addr), fromJs(r.pick(typedCache))]);
    case "account_signGnosisSafeTx": {
      gnosisCache ??= [
        readJson("testdata/gnosis/gnosis_safe_tx.json"),
        readJson("testdata/gnosis/gnosis_safe_tx_chainid.json"),
      ];
      const p: J[] = [str(addr), fromJs(r.pick(gnosisCache))];
      if (r.chance(0.3)) p.push(str("execTransaction(address,uint256)"));
      return arr(p);
    }
    case "account_ecRecover":
      return arr([
        str(hexOfText(`fuzz message ${r.int(1e9)}`)),
        str("0x" + r.hex(128) + r.pick(["1b", "1c", "00", "01"])),
      ]);
    case "account_version":
    case "account_list":
    case "account_new":
    case "rpc_modules":
      return r.chance(0.7) ? undefined : arr([]);
    default:
      return r.chance(0.5) ? undefined : arr([NULL]);
  }
}

/**
 * A valid request envelope around `params`.
 *
 * @param id The id tree (undefined: a notification).
 * @param method The method.
 * @param params The params (undefined: omitted).
 * @returns The request tree.
 */
export function envelope(
  id: J | undefined,
  method: string,
  params: J | undefined,
): J {
  const e: [string, J][] = [["jsonrpc", str("2.0")]];
  if (id !== undefined) e.push(["id", id]);
  e.push(["method", str(method)]);
  if (params !== undefined) e.push(["params", params]);
  return obj(e);
}
