/**
 * Generates `src/signing/fourbyte_data.ts`, stave's embedded 4byte
 * database (spec signing.md §7.2): a curated list of standard function
 * signatures whose ids are computed here as `keccak(text)[0:4]` after the
 * text passed clef's selector parser and ABI type checks.
 *
 * Run: `deno run --allow-write scripts/gen_fourbyte.ts` (from the repo root).
 *
 * @module
 */
import { selectorId } from "../src/signing/abi_decode.ts";
import { toHex } from "../src/_bytes.ts";

/** The curated signatures, grouped by standard or contract family. */
export const SIGNATURES: Record<string, string[]> = {
  "ERC-20": [
    "transfer(address,uint256)",
    "transferFrom(address,address,uint256)",
    "approve(address,uint256)",
    "increaseAllowance(address,uint256)",
    "decreaseAllowance(address,uint256)",
    "balanceOf(address)",
    "allowance(address,address)",
    "totalSupply()",
    "name()",
    "symbol()",
    "decimals()",
    "mint(address,uint256)",
    "burn(uint256)",
    "burnFrom(address,uint256)",
    "delegate(address)",
  ],
  "ERC-2612 / DAI permit": [
    "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)",
    "permit(address,address,uint256,uint256,bool,uint8,bytes32,bytes32)",
    "nonces(address)",
    "DOMAIN_SEPARATOR()",
  ],
  "ERC-721": [
    "safeTransferFrom(address,address,uint256)",
    "safeTransferFrom(address,address,uint256,bytes)",
    "setApprovalForAll(address,bool)",
    "ownerOf(uint256)",
    "getApproved(uint256)",
    "isApprovedForAll(address,address)",
    "tokenURI(uint256)",
  ],
  "ERC-1155": [
    "safeTransferFrom(address,address,uint256,uint256,bytes)",
    "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)",
    "balanceOf(address,uint256)",
    "balanceOfBatch(address[],uint256[])",
    "uri(uint256)",
  ],
  "ERC-165 / Ownable": [
    "supportsInterface(bytes4)",
    "transferOwnership(address)",
    "renounceOwnership()",
  ],
  "WETH": ["deposit()", "withdraw(uint256)"],
  "Uniswap v2 router": [
    "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
    "swapTokensForExactTokens(uint256,uint256,address[],address,uint256)",
    "swapExactETHForTokens(uint256,address[],address,uint256)",
    "swapTokensForExactETH(uint256,uint256,address[],address,uint256)",
    "swapExactTokensForETH(uint256,uint256,address[],address,uint256)",
    "swapETHForExactTokens(uint256,address[],address,uint256)",
    "swapExactTokensForTokensSupportingFeeOnTransferTokens(uint256,uint256,address[],address,uint256)",
    "swapExactETHForTokensSupportingFeeOnTransferTokens(uint256,address[],address,uint256)",
    "swapExactTokensForETHSupportingFeeOnTransferTokens(uint256,uint256,address[],address,uint256)",
    "addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)",
    "addLiquidityETH(address,uint256,uint256,uint256,address,uint256)",
    "removeLiquidity(address,address,uint256,uint256,uint256,address,uint256)",
    "removeLiquidityETH(address,uint256,uint256,uint256,address,uint256)",
    "removeLiquidityWithPermit(address,address,uint256,uint256,uint256,address,uint256,bool,uint8,bytes32,bytes32)",
    "removeLiquidityETHWithPermit(address,uint256,uint256,uint256,address,uint256,bool,uint8,bytes32,bytes32)",
    "removeLiquidityETHSupportingFeeOnTransferTokens(address,uint256,uint256,uint256,address,uint256)",
  ],
  "Uniswap v3 routers and positions": [
    "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))",
    "exactInput((bytes,address,uint256,uint256,uint256))",
    "exactOutputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))",
    "exactOutput((bytes,address,uint256,uint256,uint256))",
    "exactInputSingle((address,address,uint24,address,uint256,uint256,uint160))",
    "exactInput((bytes,address,uint256,uint256))",
    "exactOutputSingle((address,address,uint24,address,uint256,uint256,uint160))",
    "exactOutput((bytes,address,uint256,uint256))",
    "multicall(bytes[])",
    "multicall(uint256,bytes[])",
    "multicall(bytes32,bytes[])",
    "refundETH()",
    "unwrapWETH9(uint256,address)",
    "unwrapWETH9(uint256)",
    "sweepToken(address,uint256,address)",
    "selfPermit(address,uint256,uint256,uint8,bytes32,bytes32)",
    "mint((address,address,uint24,int24,int24,uint256,uint256,uint256,uint256,address,uint256))",
    "increaseLiquidity((uint256,uint256,uint256,uint256,uint256,uint256))",
    "decreaseLiquidity((uint256,uint128,uint256,uint256,uint256))",
    "collect((uint256,address,uint128,uint128))",
  ],
  "Uniswap Universal Router": [
    "execute(bytes,bytes[],uint256)",
    "execute(bytes,bytes[])",
  ],
  "Permit2": [
    "permit(address,((address,uint160,uint48,uint48),address,uint256),bytes)",
    "approve(address,address,uint160,uint48)",
    "transferFrom(address,address,uint160,address)",
    "permitTransferFrom(((address,uint256),uint256,uint256),(address,uint256),address,bytes)",
    "lockdown((address,address)[])",
    "invalidateNonces(address,address,uint48)",
  ],
  "Multicall / Multicall3": [
    "aggregate((address,bytes)[])",
    "tryAggregate(bool,(address,bytes)[])",
    "aggregate3((address,bool,bytes)[])",
    "aggregate3Value((address,bool,uint256,bytes)[])",
    "blockAndAggregate((address,bytes)[])",
    "tryBlockAndAggregate(bool,(address,bytes)[])",
  ],
  "Safe multisig": [
    "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
    "approveHash(bytes32)",
    "addOwnerWithThreshold(address,uint256)",
    "removeOwner(address,address,uint256)",
    "swapOwner(address,address,address)",
    "changeThreshold(uint256)",
    "enableModule(address)",
    "disableModule(address,address)",
    "setGuard(address)",
    "setFallbackHandler(address)",
    "setup(address[],uint256,address,bytes,address,address,uint256,address)",
    "createProxyWithNonce(address,bytes,uint256)",
    "multiSend(bytes)",
  ],
  "ERC-4337": [
    "handleOps((address,uint256,bytes,bytes,uint256,uint256,uint256,uint256,uint256,bytes,bytes)[],address)",
    "handleOps((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)[],address)",
    "depositTo(address)",
    "withdrawTo(address,uint256)",
    "addStake(uint32)",
    "unlockStake()",
    "withdrawStake(address)",
    "execute(address,uint256,bytes)",
    "executeBatch(address[],bytes[])",
    "executeBatch(address[],uint256[],bytes[])",
  ],
  "ENS": [
    "setName(string)",
    "setAddr(bytes32,address)",
    "setText(bytes32,string,string)",
    "setContenthash(bytes32,bytes)",
    "setResolver(bytes32,address)",
    "setOwner(bytes32,address)",
    "setSubnodeOwner(bytes32,bytes32,address)",
    "setSubnodeRecord(bytes32,bytes32,address,address,uint64)",
    "commit(bytes32)",
    "register(string,address,uint256,bytes32,address,bytes[],bool,uint16)",
    "renew(string,uint256)",
  ],
  // In go-ethereum's 4byte.json; used by clef's own test requests.
  "clef test vectors": ["safeSend(address)"],
};

/**
 * Computes the id → text table; throws on an id collision.
 *
 * @returns Entries sorted by id.
 */
export function buildTable(): [string, string][] {
  const table = new Map<string, string>();
  for (const list of Object.values(SIGNATURES)) {
    for (const text of list) {
      const id = toHex(selectorId(text));
      const prev = table.get(id);
      if (prev !== undefined && prev !== text) {
        throw new Error(`4byte collision ${id}: ${prev} / ${text}`);
      }
      table.set(id, text);
    }
  }
  return [...table.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

if (import.meta.main) {
  const entries = buildTable();
  const body = entries.map(([id, text]) => `  ["${id}", "${text}"],`).join(
    "\n",
  );
  const out = `// Generated by scripts/gen_fourbyte.ts — do not edit by hand.
/**
 * stave's embedded 4byte database: a curated set of standard function
 * signatures (ERC-20/721/1155, WETH, Uniswap v2/v3/Universal routers,
 * Permit2, Multicall, Safe, ERC-4337, ENS), each id = keccak(text)[0:4].
 *
 * @module
 */

/** \`[8 lowercase hex digits, selector text]\`, sorted by id. */
export const EMBEDDED_SELECTORS: readonly (readonly [string, string])[] = [
${body}
];
`;
  await Deno.writeTextFile(
    new URL("../src/signing/fourbyte_data.ts", import.meta.url),
    out,
  );
  console.log(`wrote ${entries.length} selectors`);
}
