import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * A model folder written atomically: every file goes into a fresh sibling folder, is fsynced, and
 * the folder replaces the old one by rename. A crash leaves either the old folder or the new one
 * (if it strikes between the two renames, the old one sits under `.old-*` and the next read puts
 * it back). Readers never see a model.json from one save with a weights.bin from another.
 */

export class ModelFilesError extends Error {
  override readonly name = 'ModelFilesError';
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const h = await fs.open(file, 'w');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export async function writeModelFolder(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const abs = path.resolve(dir);
  const parent = path.dirname(abs);
  await fs.mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = `${abs}.tmp-${tag}`;
  await fs.mkdir(tmp);
  try {
    for (const [name, data] of Object.entries(files)) await writeSynced(path.join(tmp, name), data);
    await syncDir(tmp);
    const old = `${abs}.old-${tag}`;
    let moved = false;
    try {
      await fs.rename(abs, old);
      moved = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await fs.rename(tmp, abs);
    await syncDir(parent);
    if (moved) await fs.rm(old, { recursive: true, force: true });
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Reads the named files of a model folder, restoring an interrupted save's old folder first. */
export async function readModelFolder(dir: string, names: readonly string[]): Promise<Record<string, Buffer>> {
  const abs = path.resolve(dir);
  try {
    await fs.access(abs);
  } catch {
    const base = path.basename(abs);
    const leftovers = (await fs.readdir(path.dirname(abs)).catch(() => [] as string[])).filter((f) => f.startsWith(`${base}.old-`));
    if (leftovers.length === 0) throw new ModelFilesError(`no model at ${abs}`);
    await fs.rename(path.join(path.dirname(abs), leftovers.sort().at(-1)!), abs);
  }
  const out: Record<string, Buffer> = {};
  for (const name of names) {
    try {
      out[name] = await fs.readFile(path.join(abs, name));
    } catch (err) {
      throw new ModelFilesError(`cannot read ${path.join(abs, name)}: ${(err as Error).message}`);
    }
  }
  return out;
}
