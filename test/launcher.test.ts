import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('..', import.meta.url));
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');

/**
 * bin/start.mjs and scripts/build-dist.mjs in a project of their own (one source file that says where it runs from),
 * so the test never touches the repository's dist/.
 */
async function miniProject(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'sre-copilot-launcher-'));
  await mkdir(path.join(root, 'src', 'cli'), { recursive: true });
  await mkdir(path.join(root, 'bin'));
  await cp(path.join(REPO, 'bin', 'start.mjs'), path.join(root, 'bin', 'start.mjs'));
  await cp(path.join(REPO, 'scripts'), path.join(root, 'scripts'), { recursive: true });
  await symlink(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  await writeFile(path.join(root, 'src', 'cli', 'main.ts'), "const where: string = import.meta.url;\nconsole.log(`ran ${where}`);\n");
  return root;
}

const ranFrom = async (root: string) => {
  const { stdout } = await run(NODE, [path.join(root, 'bin', 'start.mjs')]);
  return /ran file:\/\/.*\/((?:src|dist)\/cli\/main\.[jt]s)$/m.exec(stdout)?.[1];
};

describe('bin/start.mjs', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('runs dist/ only while it was built from exactly the current src/', async () => {
    const root = await miniProject();
    dirs.push(root);
    const main = path.join(root, 'src', 'cli', 'main.ts');
    expect(await ranFrom(root)).toBe('src/cli/main.ts'); // nothing built yet

    await run(NODE, [path.join(root, 'scripts', 'build-dist.mjs')]);
    expect(await readFile(path.join(root, 'dist', 'cli', 'main.js'), 'utf8')).toContain('ran ');
    expect(await ranFrom(root)).toBe('dist/cli/main.js');

    const original = await readFile(main, 'utf8');
    await writeFile(main, `${original}// edited after the build\n`);
    expect(await ranFrom(root)).toBe('src/cli/main.ts'); // never stale code

    await writeFile(main, original);
    expect(await ranFrom(root)).toBe('dist/cli/main.js'); // the same text again: the build still fits

    await writeFile(path.join(root, 'src', 'cli', 'extra.ts'), 'export const added = 1;\n');
    expect(await ranFrom(root)).toBe('src/cli/main.ts'); // a new module the build has not compiled
    await rm(path.join(root, 'src', 'cli', 'extra.ts'));

    await writeFile(path.join(root, 'src', 'cli', 'main.test.ts'), 'export {};\n');
    expect(await ranFrom(root)).toBe('dist/cli/main.js'); // tests are not compiled, so they do not count
  });

  it('the build, when optional, fails softly and leaves no dist/ behind', async () => {
    const root = await miniProject();
    dirs.push(root);
    await writeFile(path.join(root, 'src', 'cli', 'broken.ts'), 'export const = ;\n');
    await expect(run(NODE, [path.join(root, 'scripts', 'build-dist.mjs')])).rejects.toMatchObject({ code: 1 });
    const soft = await run(NODE, [path.join(root, 'scripts', 'build-dist.mjs'), '--optional']);
    expect(soft.stderr).toMatch(/could not compile src\/ to dist\/[\s\S]*runs? src\/ through tsx/);
    expect(await ranFrom(root)).toBe('src/cli/main.ts');
    expect((await readdir(root)).filter((f) => f.startsWith('dist'))).toEqual([]);
  });
});
