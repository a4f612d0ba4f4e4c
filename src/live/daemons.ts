import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Local daemons (Prometheus, Alertmanager, node-exporter, serve itself) started for the live demo, `bench live` and
 * the integration tests: always on loopback ports the OS picked, with data in temporary folders, killed with this
 * process if it exits first — never installed or started as system services.
 */
export interface Daemon {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** the last lines it wrote to stderr (why it failed, when it did) */
  stderrTail(): string;
  close(): Promise<void>;
}

export interface DaemonSpec {
  name: string;
  bin: string;
  args(port: number): string[];
  /** path answered with 2xx once it can serve, e.g. /-/ready */
  readyPath: string;
  readyTimeoutMs?: number;
  /** a port chosen beforehand (another daemon's config names it); default: a free one */
  port?: number;
  /** its environment (a function of the port for programs that read their port from it, like serve) */
  env?: NodeJS.ProcessEnv | ((port: number) => NodeJS.ProcessEnv);
  /** where its stdout goes (default: discarded) */
  onStdout?: (chunk: string) => void;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

/** Starts the daemon on a free loopback port (a few attempts: a port can be taken between probe and bind). */
export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  if (spec.port !== undefined) return startOn(spec, spec.port);
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await startOn(spec, port);
    } catch (e) {
      lastError = e as Error;
    }
  }
  throw lastError ?? new Error(`${spec.name} did not start`);
}

async function startOn(spec: DaemonSpec, port: number): Promise<Daemon> {
  // stdin stays open (a pipe nobody writes to): serve's console adapter ends the process at end of input
  const child = spawn(spec.bin, spec.args(port), { stdio: ['pipe', spec.onStdout ? 'pipe' : 'ignore', 'pipe'], env: typeof spec.env === 'function' ? spec.env(port) : (spec.env ?? process.env) });
  track(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  if (spec.onStdout) child.stdout?.on('data', (b: Buffer) => spec.onStdout!(b.toString()));
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`${spec.name} exited (${signal ?? code}) before it was ready: ${stderr.trim().split('\n').slice(-3).join(' ')}`)));
    child.once('error', reject);
  });
  exited.catch(() => {});
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([waitReady(`${url}${spec.readyPath}`, spec.readyTimeoutMs ?? 30_000, spec.name), exited]);
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  return { name: spec.name, url, port, child, stderrTail: () => stderr, close: () => stopChild(child) };
}

async function waitReady(url: string, timeoutMs: number, name: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs} ms`);
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', resolve);
  });
  const address = s.address();
  await new Promise((r) => s.close(r));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
