/**
 * Worker running in-process parser cases (see parsers.ts), so the main
 * thread can notice a case that never returns. Posts `{ready}` once loaded
 * (a message sent before the module's top-level await ends may be lost), then receives
 * `{seed, from, to, deadline}`; posts `{progress}` every 100 cases,
 * `{finding}` per finding, `{done}` at the end.
 *
 * @module
 */
import { runParserCase } from "./parsers.ts";

interface Job {
  seed: number;
  from: number;
  to: number;
  /** Epoch ms after which no new case starts. */
  deadline: number;
}

const self = globalThis as unknown as {
  onmessage: (e: MessageEvent<Job>) => void;
  postMessage: (m: unknown) => void;
};

self.onmessage = (e) => {
  const { seed, from, to, deadline } = e.data;
  let i = from;
  for (; i < to && Date.now() < deadline; i++) {
    if (i % 100 === 0) self.postMessage({ progress: i });
    for (const f of runParserCase(seed, i)) {
      self.postMessage({ finding: { ...f, index: i } });
    }
  }
  self.postMessage({ done: i - from });
};
self.postMessage({ ready: true });
