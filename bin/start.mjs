/**
 * bin/sre-copilot's entry: runs the compiled dist/ when it was built from exactly the current src/, else src/ through
 * tsx (transpiling on the fly: correct, but seconds slower to start). So a developer editing src/ never runs stale
 * code, and `npm run build` (also run by `npm install`) brings the fast start back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { DIGEST_FILE, sourceDigest } from '../scripts/source-digest.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = path.join(root, 'dist', 'cli', 'main.js');

function distIsCurrent() {
  try {
    const recorded = readFileSync(path.join(root, 'dist', DIGEST_FILE), 'utf8').trim();
    return existsSync(compiled) && recorded === sourceDigest(root);
  } catch {
    return false; // no dist/, no digest, or src/ unreadable: run from source
  }
}

if (distIsCurrent()) {
  process.setSourceMapsEnabled(true); // stack traces name src/*.ts lines, as under tsx
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, 'src', 'cli', 'main.ts')).href);
}
