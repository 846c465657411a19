import { ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  checkPrivateFolder,
  openAppendNoFollow,
  UnsafePathError,
} from "./fs_safety.ts";

const unix = Deno.build.os !== "windows";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stave_safety_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.chmod(dir, 0o700).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "checkPrivateFolder() accepts 0700 and 0755, a missing folder, and a sticky world-writable one",
  ignore: !unix,
  async fn() {
    await withTempDir(async (dir) => {
      await checkPrivateFolder(dir, "config folder");
      await Deno.chmod(dir, 0o755);
      await checkPrivateFolder(dir, "config folder");
      await checkPrivateFolder(join(dir, "missing", "deeper"), "IPC folder");
      const tmp = join(dir, "tmp");
      await Deno.mkdir(tmp);
      await Deno.chmod(tmp, 0o1777);
      await checkPrivateFolder(tmp, "IPC folder");
    });
  },
});

Deno.test({
  name:
    "checkPrivateFolder() refuses a folder writable by group or others, naming path, mode and fix",
  ignore: !unix,
  async fn() {
    await withTempDir(async (dir) => {
      for (
        const [mode, text] of [[0o770, "drwxrwx---"], [
          0o702,
          "drwx----w-",
        ]] as const
      ) {
        await Deno.chmod(dir, mode);
        await rejects(checkPrivateFolder(dir, "config folder"), {
          name: "UnsafePathError",
          message:
            `config folder ${dir} is writable by group or others (${text}): anyone who can write it can replace the files in it; run 'chmod go-w ${dir}'`,
        });
      }
    });
  },
});

Deno.test({
  name:
    "checkPrivateFolder() refuses a folder below one that others can write, also when it does not exist yet",
  ignore: !unix,
  async fn() {
    await withTempDir(async (dir) => {
      const cfg = join(dir, "config");
      await Deno.mkdir(cfg, { mode: 0o700 });
      await Deno.chmod(dir, 0o777);
      for (const path of [cfg, join(dir, "not-yet")]) {
        await rejects(checkPrivateFolder(path, "IPC folder"), (err) => {
          ok(err instanceof UnsafePathError);
          strictEqual(
            err.message,
            `folder ${dir} (above the IPC folder ${path}) is writable by group or others (drwxrwxrwx): anyone who can write it can replace the files in it; run 'chmod go-w ${dir}'`,
          );
          return true;
        });
      }
    });
  },
});

Deno.test({
  name:
    "checkPrivateFolder() follows a link to the folder and checks where it leads",
  ignore: !unix,
  async fn() {
    await withTempDir(async (dir) => {
      const real = join(dir, "real");
      await Deno.mkdir(real);
      await Deno.chmod(real, 0o775);
      await Deno.symlink(real, join(dir, "link"));
      await rejects(checkPrivateFolder(join(dir, "link"), "config folder"), {
        message: new RegExp(`^config folder ${real} is writable`),
      });
    });
  },
});

Deno.test("openAppendNoFollow() creates a 0600 file, then appends to it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "audit.log");
    for (const line of ["one\n", "two\n"]) {
      const f = await openAppendNoFollow(path);
      await f.write(new TextEncoder().encode(line));
      f.close();
    }
    strictEqual(await Deno.readTextFile(path), "one\ntwo\n");
    if (unix) strictEqual((await Deno.stat(path)).mode! & 0o777, 0o600);
  });
});

Deno.test({
  name:
    "openAppendNoFollow() refuses a symbolic link, dangling or not, and writes nothing through it",
  ignore: !unix,
  async fn() {
    await withTempDir(async (dir) => {
      const target = join(dir, "victim");
      await Deno.writeTextFile(target, "keep\n");
      const link = join(dir, "audit.log");
      await Deno.symlink(target, link);
      await rejects(openAppendNoFollow(link), {
        name: "UnsafePathError",
        message:
          `${link} is a symbolic link; stave does not follow it: name the file itself`,
      });
      strictEqual(await Deno.readTextFile(target), "keep\n");
      const dangling = join(dir, "audit2.log");
      await Deno.symlink(join(dir, "created-through-link"), dangling);
      await rejects(openAppendNoFollow(dangling), UnsafePathError);
      await rejects(
        Deno.lstat(join(dir, "created-through-link")),
        Deno.errors.NotFound,
      );
    });
  },
});

Deno.test({
  name:
    "checkPrivateFolder() refuses a folder owned by another user (run as root only)",
  ignore: !unix || Deno.uid() !== 0,
  async fn() {
    await withTempDir(async (dir) => {
      const cfg = join(dir, "config");
      await Deno.mkdir(cfg, { mode: 0o700 });
      await Deno.chown(cfg, 4321, 4321);
      await rejects(checkPrivateFolder(cfg, "config folder"), {
        message:
          `config folder ${cfg} is owned by uid 4321, not by this user (uid 0) or root: anyone who can change it can replace the files in it`,
      });
    });
  },
});
