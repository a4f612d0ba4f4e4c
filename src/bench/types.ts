import type { Config } from '../config.js';

export interface BenchOptions {
  config: Config;
  /** dataset folder laid out like the shared one; each suite documents the layout it expects */
  data?: string;
  /** where a suite writes per-item result files (CSV etc.), when it writes any */
  out?: string;
  /** free-form suite parameters, e.g. seeds for the scenario suite */
  params: Record<string, string>;
  /** progress lines for people watching; silent unless stderr is a terminal */
  progress: (line: string) => void;
}

export interface BenchResult {
  suite: string;
  /** the readable table(s) */
  text: string;
  /** the same figures as data; `summary` holds the headline numbers */
  json: { summary: Record<string, unknown> } & Record<string, unknown>;
}

/** A benchmark measures; it never asserts. Tests assert behaviour elsewhere. */
export interface BenchSuite {
  name: string;
  description: string;
  run(options: BenchOptions): Promise<BenchResult>;
}
