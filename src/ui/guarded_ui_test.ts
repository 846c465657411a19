import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { StaveError } from "../errors.ts";
import {
  type CancellableUi,
  deniedResponse,
  silentLogger,
  type UiCallOptions,
  UiUnavailableError,
  withApprovalTimeout,
} from "./guarded_ui.ts";
import { internalMetadata, type Ui } from "./ui.ts";

type Call = { method: string; signal?: AbortSignal };

/** A UI whose requests never answer unless told to; records signals. */
function stuckUi(calls: Call[], notes: string[]): CancellableUi {
  const never = (method: string) => (_req: unknown, o?: UiCallOptions) => {
    calls.push({ method, signal: o?.signal });
    return new Promise<never>(() => {});
  };
  return {
    approveTx: never("approveTx"),
    approveSignData: never("approveSignData"),
    approveListing: never("approveListing"),
    approveNewAccount: never("approveNewAccount"),
    onInputRequired: never("onInputRequired"),
    showError: (t) => void notes.push("error " + t),
    showInfo: (t) => void notes.push("info " + t),
    onApprovedTx: () => void notes.push("approved"),
    onSignerStartup: () => void notes.push("startup"),
  };
}

function recorder() {
  const records: [string, Record<string, unknown> | undefined][] = [];
  return {
    records,
    logger: {
      info: () => {},
      warn: (m: string, kv?: Record<string, unknown>) =>
        void records.push([m, kv]),
      error: () => {},
    },
  };
}

const META = internalMetadata();

Deno.test("withApprovalTimeout() denies every unanswered approval kind", async () => {
  const calls: Call[] = [];
  const { records, logger } = recorder();
  const ui = withApprovalTimeout(stuckUi(calls, []), 5, logger);
  const tx = { transaction: { from: "0x" }, call_info: null, meta: META };
  deepStrictEqual(await ui.approveTx(tx), {
    transaction: tx.transaction,
    approved: false,
  });
  deepStrictEqual(await ui.approveSignData({} as never), { approved: false });
  deepStrictEqual(await ui.approveListing({ accounts: [], meta: META }), {
    accounts: null,
  });
  deepStrictEqual(await ui.approveNewAccount({ meta: META }), {
    approved: false,
  });
  await rejects(
    ui.onInputRequired({ title: "t", prompt: "p", isPassword: true }),
    (e: unknown) =>
      e instanceof UiUnavailableError && e.message === "no answer within 5ms",
  );
  strictEqual(calls.length, 5);
  ok(
    calls.every((c) => c.signal?.aborted === true),
    "inner UI told to give up",
  );
  deepStrictEqual(records.map((r) => r[0]), [
    "Approval timed out, request denied",
    "Approval timed out, request denied",
    "Approval timed out, request denied",
    "Approval timed out, request denied",
    "User input timed out",
  ]);
  deepStrictEqual(records[1][1], {
    request: "ApproveSignData",
    timeout: "5ms",
  });
});

Deno.test("withApprovalTimeout() passes answers and errors given in time", async () => {
  const inner = {
    approveNewAccount: (_r: unknown, o?: UiCallOptions) => {
      ok(o?.signal instanceof AbortSignal);
      return Promise.resolve({ approved: true });
    },
    approveSignData: () =>
      Promise.reject(new StaveError("ui says no", { code: 7 })),
    onInputRequired: () => Promise.resolve({ text: "pw" }),
  } as unknown as Ui;
  const { records, logger } = recorder();
  const ui = withApprovalTimeout(inner, 1000, logger);
  deepStrictEqual(await ui.approveNewAccount({ meta: META }), {
    approved: true,
  });
  await rejects(ui.approveSignData({} as never), {
    message: "ui says no",
    code: 7,
  });
  deepStrictEqual(
    await ui.onInputRequired({ title: "t", prompt: "p", isPassword: false }),
    { text: "pw" },
  );
  strictEqual(records.length, 0);
});

Deno.test("withApprovalTimeout() ignores a late answer", async () => {
  let answer: (v: { approved: boolean }) => void = () => {};
  const inner = {
    approveNewAccount: () => new Promise((r) => (answer = r)),
  } as unknown as Ui;
  const ui = withApprovalTimeout(inner, 5, recorder().logger);
  const res = await ui.approveNewAccount({ meta: META });
  answer({ approved: true });
  deepStrictEqual(res, { approved: false });
});

Deno.test("withApprovalTimeout() forwards the caller's own abort to the inner UI", () => {
  const calls: Call[] = [];
  const ui = withApprovalTimeout(
    stuckUi(calls, []),
    60_000,
    recorder().logger,
    {
      // a timer that never fires, so only the caller's abort can act
      setTimeout: () => 0,
      clearTimeout: () => {},
    },
  );
  const ac = new AbortController();
  void ui.approveNewAccount({ meta: META }, { signal: ac.signal });
  ac.abort();
  strictEqual(calls[0].signal?.aborted, true);
});

Deno.test("withApprovalTimeout() passes notifications through and is off for 0", () => {
  const notes: string[] = [];
  const inner = stuckUi([], notes);
  const ui = withApprovalTimeout(inner, 10, recorder().logger);
  ui.showError("e");
  ui.showInfo("i");
  ui.onApprovedTx({ raw: "0x", tx: {} });
  ui.onSignerStartup({ info: {} });
  deepStrictEqual(notes, ["error e", "info i", "approved", "startup"]);
  strictEqual(withApprovalTimeout(inner, 0, recorder().logger), inner);
  strictEqual(withApprovalTimeout(inner, Infinity, recorder().logger), inner);
});

Deno.test("deniedResponse() keeps the transaction of a denied ApproveTx", () => {
  const transaction = { from: "0x01" };
  deepStrictEqual(
    deniedResponse("ApproveTx", { transaction, call_info: null, meta: META }),
    { transaction, approved: false },
  );
  deepStrictEqual(deniedResponse("ApproveNewAccount", {}), { approved: false });
});

Deno.test("withApprovalTimeout() denies pending and later approvals once shutdown is signalled", async () => {
  const never = () => new Promise<never>(() => {});
  const inner = {
    approveSignData: never,
    onInputRequired: never,
  } as unknown as Ui;
  const shutdown = new AbortController();
  const ui = withApprovalTimeout(inner, 0, silentLogger, {
    shutdown: shutdown.signal,
  });
  const pending = ui.approveSignData({} as never);
  const input = ui.onInputRequired({} as never);
  shutdown.abort();
  deepStrictEqual(await pending, { approved: false });
  await rejects(input, UiUnavailableError);
  deepStrictEqual(await ui.approveSignData({} as never), { approved: false });
});
