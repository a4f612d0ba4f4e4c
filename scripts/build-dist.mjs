#!/usr/bin/env node
/**
 * Compiles src/ to dist/ (one .js file per .ts file, same folders) so bin/sre-copilot starts without transpiling
 * TypeScript on every run. Runs as the package's `prepare` script, i.e. on `npm install` and `npm ci`, and as
 * `npm run build`. Uses the esbuild that tsx runs on, so the output matches what tsx would execute.
 *
 * `--optional` (prepare): a failed build warns and exits 0; bin/sre-copilot then runs src/ through tsx as before.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIGEST_FILE, sourceDigest, sourceFiles } from './source-digest.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const optional = process.argv.includes('--optional');

try {
  const started = performance.now();
  const { transform } = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))('esbuild');
  const files = sourceFiles(root);
  // Read once: the digest describes exactly the text that was compiled, even if someone saves a file meanwhile.
  const texts = new Map(files.map((f) => [f, readFileSync(path.join(root, 'src', f))]));
  const tmp = path.join(root, `dist.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  // allSettled: on a failure no transform may still be writing into tmp when the cleanup below removes it
  const results = await Promise.allSettled(
    files.map(async (f) => {
      const out = path.join(tmp, f.replace(/\.ts$/, '.js'));
      const { code, map } = await transform(texts.get(f), {
        loader: 'ts',
        format: 'esm',
        platform: 'node',
        target: 'node22',
        sourcemap: 'external',
        sourcesContent: false, // the maps point at src/, which is beside them
        sourcefile: path.relative(path.dirname(out), path.join(root, 'src', f)),
      });
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, `${code}//# sourceMappingURL=${path.basename(out)}.map\n`);
      writeFileSync(`${out}.map`, map);
    }),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  writeFileSync(path.join(tmp, DIGEST_FILE), `${sourceDigest(root, files, (f) => texts.get(f))}\n`);
  // Swap whole folders: a launcher looking meanwhile finds no digest and runs src/, never a half-written dist/.
  const dist = path.join(root, 'dist');
  const old = path.join(root, `dist.old-${process.pid}`);
  rmSync(old, { recursive: true, force: true });
  try {
    renameSync(dist, old);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  renameSync(tmp, dist);
  rmSync(old, { recursive: true, force: true });
  process.stderr.write(`sre-copilot: compiled ${files.length} files to dist/ in ${Math.round(performance.now() - started)} ms\n`);
} catch (err) {
  rmSync(path.join(root, `dist.tmp-${process.pid}`), { recursive: true, force: true });
  process.stderr.write(`sre-copilot: could not compile src/ to dist/: ${err.message}\n`);
  if (!optional) process.exit(1);
  process.stderr.write('sre-copilot: bin/sre-copilot will run src/ through tsx (slower start-up)\n');
}
