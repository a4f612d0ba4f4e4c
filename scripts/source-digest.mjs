import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * What dist/ was compiled from. bin/start.mjs runs dist/ only while this digest of src/ still matches the one the build
 * recorded; content, not timestamps, so a checkout, a copy or an edit made during the build can never leave stale code
 * running. Plain JavaScript: it runs before any TypeScript loader exists.
 */

/** Written by scripts/build-dist.mjs into dist/, read by bin/start.mjs. */
export const DIGEST_FILE = 'source-digest.txt';

/** The TypeScript files the build compiles, relative to src/, sorted. */
export function sourceFiles(root) {
  return readdirSync(path.join(root, 'src'), { recursive: true })
    .map((f) => f.split(path.sep).join('/'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .sort();
}

/** sha256 over every compiled file's path and content, and over the build script, whose settings shape the output. */
export function sourceDigest(root, files = sourceFiles(root), read = (f) => readFileSync(path.join(root, 'src', f))) {
  const hash = createHash('sha256');
  hash.update(readFileSync(new URL('./build-dist.mjs', import.meta.url)));
  for (const f of files) hash.update(`\0${f}\0`).update(read(f));
  return hash.digest('hex');
}
