/**
 * Checks on the paths the daemon and the vault writers trust (issue 7):
 * folders that hold the vault or the socket must not be writable by anyone
 * else (ssh's `StrictModes` rule), and the audit log is not opened through
 * a symbolic link.
 *
 * clef checks neither: it accepts any mode on the config folder and the
 * socket's folder, and opens `--auditlog` wherever a link points.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { StaveError } from "../errors.ts";

/** Go's `FileMode.String()` letters, in Go's order. */
const MODE_LETTERS = "dalTLDpSugct?";

/**
 * Renders a file mode as Go's `os.FileMode.String()` (e.g. `-rw-r--r--`,
 * `drwx------`), as clef prints it in its permission error.
 *
 * @param info A `Deno.stat` result.
 * @returns The ls-style mode string.
 */
export function goModeString(info: Deno.FileInfo): string {
  const mode = info.mode ?? 0;
  const set = new Set<string>();
  if (info.isDirectory) set.add("d");
  if (info.isSymlink) set.add("L");
  if (info.isBlockDevice) set.add("D");
  if (info.isCharDevice) {
    set.add("D");
    set.add("c");
  }
  if (info.isFifo) set.add("p");
  if (info.isSocket) set.add("S");
  if (mode & 0o4000) set.add("u");
  if (mode & 0o2000) set.add("g");
  if (mode & 0o1000) set.add("t");
  let out = "";
  for (const c of MODE_LETTERS) if (set.has(c)) out += c;
  if (out === "") out = "-";
  const rwx = "rwxrwxrwx";
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? rwx[i] : "-";
  return out;
}

/** A folder or file that others could change, or that is not what it should be. */
export class UnsafePathError extends StaveError {}

/**
 * The effective uid: `Deno.uid()` when `--allow-sys` grants it (never
 * asked for: a prompt would stop the daemon), else the owner of
 * `/proc/self` (Linux); null when neither is available.
 */
async function currentUid(): Promise<number | null> {
  const sys = await Deno.permissions.query({ name: "sys", kind: "uid" });
  if (sys.state === "granted") return Deno.uid();
  try {
    return (await Deno.stat("/proc/self")).uid;
  } catch {
    return null;
  }
}

/**
 * Refuses a folder that someone other than its owner could change, and the
 * same for every folder above it, as ssh does for `~/.ssh`: each must be
 * owned by the current user or root and not writable by group or others,
 * unless it has the sticky bit (as `/tmp`), where others cannot rename or
 * remove what they do not own. Whoever can write such a folder can replace
 * the socket, the master seed or the vault files in it. A folder that does
 * not exist yet is skipped (the ones above it are checked); stave creates
 * its folders 0700. Does nothing on Windows.
 *
 * @param path The folder (`--configdir`, the vault folder, the IPC folder).
 * @param what How the error names it (`config folder`).
 * @throws {UnsafePathError} naming the path, its mode and the fix, e.g.
 *   `config folder /srv/clef is writable by group or others (drwxrwxr-x): run 'chmod go-w /srv/clef'`.
 */
export async function checkPrivateFolder(
  path: string,
  what: string,
): Promise<void> {
  if (Deno.build.os === "windows") return;
  const uid = await currentUid();
  let dir = resolve(path);
  try {
    dir = await Deno.realPath(dir);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const target = dir;
  for (;;) {
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.stat(dir);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (info !== undefined) {
      const name = dir === target
        ? `${what} ${dir}`
        : `folder ${dir} (above the ${what} ${target})`;
      const mode = info.mode ?? 0;
      if (
        info.uid !== null && uid !== null && info.uid !== uid && info.uid !== 0
      ) {
        throw new UnsafePathError(
          `${name} is owned by uid ${info.uid}, not by this user (uid ${uid}) or root: anyone who can change it can replace the files in it`,
        );
      }
      if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
        throw new UnsafePathError(
          `${name} is writable by group or others (${
            goModeString(info)
          }): anyone who can write it can replace the files in it; run 'chmod go-w ${dir}'`,
        );
      }
    }
    const up = dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/** Options for {@linkcode openAppendNoFollow}. */
export interface OpenAppendOptions {
  /** Mode of a newly created file (default 0o600). */
  mode?: number;
}

function symlinkError(path: string): UnsafePathError {
  return new UnsafePathError(
    `${path} is a symbolic link; stave does not follow it: name the file itself`,
  );
}

/**
 * Opens a file for appending, creating it when missing, without following
 * a symbolic link at its last component: an existing link is refused, a
 * new file is created with `O_EXCL` (which fails on any link, dangling or
 * not), and the opened file must be the one `lstat` sees at the path
 * afterwards, so a link swapped in between is refused before anything is
 * written.
 *
 * @param path The file (e.g. `--auditlog`).
 * @param opts Mode of a new file.
 * @returns The open file (append, write-only).
 * @throws {UnsafePathError} when the path is a symbolic link.
 */
export async function openAppendNoFollow(
  path: string,
  opts: OpenAppendOptions = {},
): Promise<Deno.FsFile> {
  for (let attempt = 0;; attempt++) {
    let file: Deno.FsFile;
    try {
      const before = await Deno.lstat(path);
      if (before.isSymlink) throw symlinkError(path);
      file = await Deno.open(path, { write: true, append: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || attempt > 2) throw err;
      try {
        file = await Deno.open(path, {
          write: true,
          append: true,
          createNew: true,
          mode: opts.mode ?? 0o600,
        });
      } catch (err) {
        if (err instanceof Deno.errors.AlreadyExists) continue; // raced: look again
        throw err;
      }
    }
    try {
      const opened = await file.stat();
      const now = await Deno.lstat(path);
      if (now.isSymlink || now.dev !== opened.dev || now.ino !== opened.ino) {
        throw symlinkError(path);
      }
      return file;
    } catch (err) {
      file.close();
      throw err;
    }
  }
}
