/**
 * Test fixtures for the rules engine: a recording next UI, a store with
 * injectable delays and failures, a recording logger and wire-form
 * requests (spec rules.md §4, ui-api.md §1).
 *
 * @module
 */
import { MemoryStore, type Store } from "../vault/store.ts";
import type { UiLogger } from "../ui/guarded_ui.ts";
import type {
  ListRequest,
  Metadata,
  SignDataRequest,
  SignTransactionResult,
  SignTxRequest,
  StartupInfo,
  Ui,
} from "../ui/ui.ts";
import { RulesEngine, type RulesEngineOptions } from "./engine.ts";

/** Metadata of a request that came in over IPC. */
export const META: Metadata = {
  remote: "NA",
  local: "NA",
  scheme: "ipc",
  "User-Agent": "",
  Origin: "",
};

/** ApproveTx request as in spec rules.md §4.1. */
export function txRequest(value = "0x429d069189e0000"): SignTxRequest {
  return {
    transaction: {
      from: "0x0000000000000000000000000000000000001337",
      to: "0x000000000000000000000000000000000000dEaD",
      gas: "0x5208",
      gasPrice: "0x1e8480",
      maxFeePerGas: null,
      maxPriorityFeePerGas: null,
      value,
      nonce: "0x3",
      data: "0x",
    },
    call_info: null,
    meta: META,
  };
}

/** A `text/plain` ApproveSignData request (spec rules.md §4.2). */
export function textRequest(text = "baz bazonk foo"): SignDataRequest {
  const value = `\x19Ethereum Signed Message:\n${text.length}${text}`;
  return {
    content_type: "text/plain",
    address: "0x694267f14675d7e1b9494fd8d72fefe1755710fa",
    raw_data: btoa(value),
    messages: [{ name: "message", value, type: "text/plain" }],
    call_info: null,
    hash: "0x" + "ab".repeat(32),
    meta: META,
  };
}

/**
 * A Clique header request as go-ethereum's Clique signing guide shows it
 * (`docs/_clef/CliqueSigning.md`): `raw_data` is the guide's RLP header of
 * block 2 (535 bytes; the zero bloom written as a run of `A`s), `hash` the
 * guide's; only the block number in the message follows `n`.
 */
export function cliqueRequest(n: number): SignDataRequest {
  return {
    content_type: "application/x-clique-header",
    address: "0x9CD932F670F7eDe5dE86F756A6D02548e5899f47",
    raw_data:
      "+QIUoL0guY+66jZpzZh1wDX4Si/ycX4zD8FQqF/1Apy/r4uHoB3MTejex116q4W1Z7bM1BrTEkUblIp0E/ChQv1A1JNHlAAAAAAAAAAAAAAAAAAAAAAAAAAAoF0xJQr87ifQZc7HdMxcPwk0do8Gy/igUDX+TuoPZv6coFboHxcbzFWm/4NF5pLA+G5bSOAbmWytwAFiL7XjY7QhoFboHxcbzFWm/4NF5pLA+G5bSOAbmWytwAFiL7XjY7QhuQEA" +
      "A".repeat(342) +
      "ICg3pPDoCEYqsY1qDYgwEKFIRnZXRoiGdvMS4xOC4xhWxpbnV4AAAAAAAAAKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIgAAAAAAAAAAA==",
    messages: [{
      name: "Clique header",
      value:
        `clique header ${n} [0xae525b65bc7f711bc136f502650039cd6959c3abc28fdf0ebfe2a5f85c92f3b6]`,
      type: "clique",
    }],
    call_info: null,
    hash: "0x8ca6c78af7d5ae67ceb4a1e465a8b639b9fbdec4b78e4d19cd9b1232046fbbf4",
    meta: META,
  };
}

/** An ApproveListing request with two accounts (spec rules.md §4.3). */
export function listRequest(): ListRequest {
  return {
    accounts: [
      {
        address: "0x8a8eafb1cf62bfbeb1741769dae1a9dd47996192",
        url: "keystore:///home/u/.ethereum/keystore/UTC--a",
      },
      {
        address: "0x9cd932f670f7ede5de86f756a6d02548e5899f47",
        url: "keystore:///home/u/.ethereum/keystore/UTC--b",
      },
    ],
    meta: META,
  };
}

/** A signed-transaction result (spec rules.md §4.4). */
export function signedResult(
  value = "0x429d069189e0000",
): SignTransactionResult {
  return {
    raw: "0xf86c03",
    tx: {
      nonce: "0x3",
      gasPrice: "0x1e8480",
      gas: "0x5208",
      to: "0x000000000000000000000000000000000000dead",
      value,
      input: "0x",
      v: "0x25",
      r: "0x1",
      s: "0x2",
      hash: "0x" + "cd".repeat(32),
    },
  };
}

/** The startup info of spec rules.md §4.5. */
export const STARTUP: StartupInfo = {
  info: {
    extapi_http: "n/a",
    extapi_ipc: "/home/u/.clef/clef.ipc",
    extapi_version: "6.1.0",
    intapi_version: "7.0.1",
  },
};

/** The next UI: records every call in `calls` and answers with a marker. */
export class RecordingUi implements Ui {
  calls: { method: string; arg: unknown; options?: unknown }[] = [];
  /** Shared event log (with the store's), to check ordering. */
  events: string[];
  constructor(events: string[] = []) {
    this.events = events;
  }
  #rec(method: string, arg: unknown, options?: unknown) {
    this.calls.push({ method, arg, options });
    this.events.push(`ui:${method}`);
  }
  approveTx(arg: SignTxRequest, options?: unknown) {
    this.#rec("approveTx", arg, options);
    return Promise.resolve({
      transaction: { ...arg.transaction, nonce: "0x99" },
      approved: true,
    });
  }
  approveSignData(arg: SignDataRequest, options?: unknown) {
    this.#rec("approveSignData", arg, options);
    return Promise.resolve({ approved: true });
  }
  approveListing(arg: ListRequest, options?: unknown) {
    this.#rec("approveListing", arg, options);
    return Promise.resolve({ accounts: [{ address: "0xui" }] });
  }
  approveNewAccount(arg: { meta: Metadata }, options?: unknown) {
    this.#rec("approveNewAccount", arg, options);
    return Promise.resolve({ approved: true });
  }
  onInputRequired(
    arg: { title: string; prompt: string; isPassword: boolean },
    options?: unknown,
  ) {
    this.#rec("onInputRequired", arg, options);
    return Promise.resolve({ text: "from-ui" });
  }
  showError(text: string) {
    this.#rec("showError", text);
  }
  showInfo(text: string) {
    this.#rec("showInfo", text);
  }
  onApprovedTx(result: SignTransactionResult) {
    this.#rec("onApprovedTx", result);
  }
  onSignerStartup(info: StartupInfo) {
    this.#rec("onSignerStartup", info);
  }
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}

/**
 * A store over {@linkcode MemoryStore} that can be slowed down (each
 * operation resolves after `delayMs`), made to fail, and that logs when a
 * write has completed ("durable") into a shared event list.
 */
export class TestStore implements Store {
  inner = new MemoryStore();
  events: string[];
  delayMs = 0;
  failGet: Error | undefined;
  failPut: Error | undefined;
  gets = 0;
  constructor(events: string[] = []) {
    this.events = events;
  }
  #wait(): Promise<void> {
    return this.delayMs > 0
      ? new Promise((r) => setTimeout(r, this.delayMs))
      : Promise.resolve();
  }
  async get(key: string): Promise<string | undefined> {
    this.gets++;
    await this.#wait();
    if (this.failGet) throw this.failGet;
    return this.inner.get(key);
  }
  async put(key: string, value: string): Promise<void> {
    await this.#wait();
    if (this.failPut) throw this.failPut;
    await this.inner.put(key, value);
    this.events.push(`put:${key}=${value}`);
  }
  async del(key: string): Promise<void> {
    await this.#wait();
    if (this.failPut) throw this.failPut;
    await this.inner.del(key);
    this.events.push(`del:${key}`);
  }
}

/** A logger that records `LEVEL msg {kv}` lines. */
export function recordingLogger(): { logger: UiLogger; lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (msg: string, kv?: Record<string, unknown>) =>
    lines.push(`${level} ${msg}${kv ? " " + JSON.stringify(kv) : ""}`);
  return {
    lines,
    logger: { info: rec("INFO"), warn: rec("WARN"), error: rec("ERROR") },
  };
}

/** Everything a test needs around one engine. */
export interface Harness {
  engine: RulesEngine;
  ui: RecordingUi;
  store: TestStore;
  events: string[];
  log: string[];
  js: string[];
}

/**
 * Creates an engine over `source` (not initialised), runs `fn`, closes it.
 *
 * @param source Rules file text.
 * @param fn The test body.
 * @param opts Engine option overrides.
 */
export async function withEngine(
  source: string,
  fn: (h: Harness) => Promise<void>,
  opts: Partial<RulesEngineOptions> = {},
): Promise<void> {
  const events: string[] = [];
  const ui = new RecordingUi(events);
  const store = new TestStore(events);
  const { logger, lines } = recordingLogger();
  const js: string[] = [];
  const engine = new RulesEngine(source, ui, {
    store,
    timeoutMs: 1000,
    logger,
    jsConsole: (line) => js.push(line),
    ...opts,
  });
  try {
    await fn({ engine, ui, store, events, log: lines, js });
  } finally {
    engine.close();
  }
}
