import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The .txt files named by `paths`: a file as it is, a folder's .txt files in name order. */
export function textFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (f.endsWith('.txt')) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}
