/** Filesystem helpers the server needs beyond node:fs. */
import { mkdir } from "node:fs/promises";
import path from "node:path";

/** Deepest directory chain ensureDir will create. */
export const MAX_DIR_DEPTH = 64;

/**
 * `mkdir -p` with mode 0700 for new directories. Node's own
 * `mkdir({recursive: true})` spins forever on some paths (e.g. under /proc on
 * Node 20), which would hang the PT before it says anything to tor; this one
 * walks up at most MAX_DIR_DEPTH levels and reports the first real error.
 */
export async function ensureDir(dir: string, depth = 0): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    const parent = path.dirname(dir);
    if (code !== "ENOENT" || parent === dir || depth >= MAX_DIR_DEPTH) throw err;
    await ensureDir(parent, depth + 1);
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== "EEXIST") throw again;
    }
  }
}
