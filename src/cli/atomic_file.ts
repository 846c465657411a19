/**
 * Durable, atomic file replacement: write a temp file in the same folder,
 * fsync it, rename it over the target, fsync the folder. A crash at any
 * point leaves either the old file or the new one, never a mix.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/** Options for {@linkcode writeFileAtomic}. */
export interface WriteAtomicOptions {
  /** Mode of a newly created file (default 0o600). */
  mode?: number;
  /**
   * Temp file name inside the target's folder. Defaults to
   * `.<name>.tmp<random>`, which key-folder scans skip (leading dot).
   */
  tempName?: string;
  /** Fail if the target already exists (checked before the rename). */
  createNew?: boolean;
  /** Called with the temp path after it is written and synced, before the
   * rename; a throw aborts the write and leaves the temp file for inspection
   * when `keepTempOnVerifyFailure` is set. */
  verify?: (tempPath: string) => Promise<void>;
  /** Keep the temp file when `verify` throws (geth's keystore behaviour). */
  keepTempOnVerifyFailure?: boolean;
}

function randomSuffix(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Writes `data` to `path` atomically and durably.
 *
 * @param path Target file path.
 * @param data Bytes or text to write.
 * @param opts Mode, temp name and verification hook.
 * @throws {Deno.errors.AlreadyExists} with `createNew` when the target exists.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  opts: WriteAtomicOptions = {},
): Promise<void> {
  const dir = dirname(path);
  const temp = join(
    dir,
    opts.tempName ?? `.${basename(path)}.tmp${randomSuffix()}`,
  );
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  const file = await Deno.open(temp, {
    write: true,
    createNew: true,
    mode: opts.mode ?? 0o600,
  });
  let keepTemp = false;
  try {
    try {
      let off = 0;
      while (off < bytes.length) off += await file.write(bytes.subarray(off));
      await file.sync();
    } finally {
      file.close();
    }
    // The mode passed to open() is filtered by the umask; set it exactly.
    await Deno.chmod(temp, opts.mode ?? 0o600);
    if (opts.verify) {
      try {
        await opts.verify(temp);
      } catch (err) {
        keepTemp = opts.keepTempOnVerifyFailure ?? false;
        throw err;
      }
    }
    if (opts.createNew) {
      try {
        await Deno.lstat(path);
        throw new Deno.errors.AlreadyExists(`${path} already exists`);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    await Deno.rename(temp, path);
    keepTemp = true; // renamed: nothing left to remove
  } finally {
    if (!keepTemp) await Deno.remove(temp).catch(() => {});
  }
  await syncDir(dir);
}

/** fsyncs a folder so a rename or a new entry in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  let f: Deno.FsFile | undefined;
  try {
    f = await Deno.open(dir, { read: true });
    await f.sync();
  } catch {
    // Some file systems refuse fsync on folders; the rename is still atomic.
  } finally {
    f?.close();
  }
}
