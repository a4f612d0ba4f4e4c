import { packageVersion } from '../version.js';
import { Command, InvalidArgumentError } from 'commander';

// Every command imports its implementation inside its action: `--help` and `--version` load commander and this
// table only, not Mastra, vega, Slack or Discord (those cost seconds at start-up).
const loadConfig = async () => (await import('../config.js')).loadConfig();

const program = new Command('sre-copilot')
  .description('Chat-ops copilot for SREs: diagnoses incidents with expert agents and runs approved fixes')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError();

const seedOption = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('seed must be a non-negative integer');
  return n;
};

program
  .command('demo')
  .description('play a bundled incident scenario end to end: alert → diagnosis → report → approved fix → verification')
  .option('-s, --scenario <name>', 'scenario name, or "all"', 'bad-deploy-payment')
  .option('--seed <n>', 'random seed of the scenario world', seedOption, 1)
  .option('-y, --yes', 'approve the proposed fix without asking')
  .option('--dry-run', "show what the fix would do (pre-checks and the executor's dry run) and execute nothing")
  .option('--json', 'print one JSON document with the scores instead of the thread')
  .option('--live', 'through real servers: a local Prometheus and Alertmanager, the world exporting metrics, spans and logs, and serve diagnosing through its connectors')
  .action(async (opts: { scenario: string; seed: number; yes?: boolean; json?: boolean; dryRun?: boolean; live?: boolean }) => {
    if (opts.dryRun && opts.yes) throw new InvalidArgumentError('--dry-run and --yes exclude each other');
    if (opts.live) {
      const [scenario] = await scenarioNames(opts.scenario, 'demo --live', false);
      const { runLiveDemo } = await import('../live/demo.js');
      const result = await runLiveDemo({
        config: await loadConfig(),
        scenario: scenario!,
        seed: opts.seed,
        log: (line) => process.stderr.write(`${line}\n`),
        ...(opts.json ? {} : { thread: (chunk: string) => process.stdout.write(chunk) }),
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        const top = result.topCause ? `${result.topCause.kind} on ${result.topCause.target}` : 'none';
        process.stdout.write(`\nlive: ${result.scenario} (seed ${result.seed}) — opened by ${result.openedBy ?? 'nothing'}; top cause ${top}; truth ${result.fault.kind} on ${result.fault.target}: ${result.hit1 ? 'right' : 'wrong'}${result.secondsToDiagnosis !== null ? `; diagnosed ${result.secondsToDiagnosis} s after start` : ''}${result.error ? `; ${result.error}` : ''}\n`);
      }
      if (!result.hit1) process.exitCode = 1;
      return;
    }
    const scenarios = await scenarioNames(opts.scenario, 'demo', true);
    const [{ runDemo }, { createChannel }] = await Promise.all([import('./demo.js'), import('../bot/registry.js')]);
    const config = await loadConfig();
    const approve = opts.yes ? 'yes' : process.stdin.isTTY && !opts.json && !opts.dryRun ? 'ask' : 'no';
    const result = await runDemo({
      config,
      scenarios,
      seed: opts.seed,
      approve,
      dryRun: opts.dryRun === true,
      channelFor: () => createChannel('console', { stream: opts.json ? null : process.stdout }),
      onScenarioDone: (s, i, n) => {
        if (!opts.json && !process.stderr.isTTY) return;
        const mark = (b: boolean) => (b ? '✓' : '✗');
        process.stderr.write(`[${i + 1}/${n}] ${s.name.padEnd(34)} top1 ${mark(s.hit1)} top3 ${mark(s.hit3)} fixed ${mark(s.fixed)} recovered ${mark(s.recovered)} ${(s.elapsedMs / 1000).toFixed(1)}s${s.error ? `  error: ${s.error}` : ''}\n`);
      },
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const s = result.summary;
      process.stdout.write(`\n${s.n} scenario(s): root cause first ${pct(s.top1)}, in top 3 ${pct(s.top3)}, fixed ${pct(s.fixed)}, recovery verified ${pct(s.recovered)}\n`);
      if (opts.dryRun) process.stdout.write('Dry run only: nothing was executed.\n');
      else if (approve === 'no' && !opts.yes) process.stdout.write('No fix was executed: run with --yes (or interactively) to approve the proposed plan.\n');
    }
  });

program
  .command('chat')
  .description('an interactive console session on a running scenario ("why is checkout failing?", "status", "approve")')
  .option('-s, --scenario <name>', 'scenario name', 'bad-deploy-payment')
  .option('--seed <n>', 'random seed of the scenario world', seedOption, 1)
  .action(async (opts: { scenario: string; seed: number }) => {
    const [scenario] = await scenarioNames(opts.scenario, 'chat', false);
    const { runChat } = await import('./chat.js');
    await runChat({ config: await loadConfig(), scenario: scenario!, seed: opts.seed });
  });

program
  .command('scenarios')
  .description('list the bundled incident scenarios')
  .action(async () => {
    const { listScenarios } = await import('../world/index.js');
    for (const s of listScenarios()) process.stdout.write(`${s.name.padEnd(36)} ${s.fault.kind.padEnd(26)} ${s.description}\n`);
  });

program
  .command('audit')
  .description('read the audit log: proposals, approvals, refusals, executions, verifications; "audit verify" checks its hash chain (exit 1 when broken)')
  .argument('[action]', '"verify": check the hash chain and the head file')
  .option('--incident <id>', 'only this incident')
  .option('--json', 'print JSON')
  .option('--anchor <hash>', 'with verify: a head hash recorded earlier that must still be in the log')
  .action(async (action: string | undefined, opts: { incident?: string; json?: boolean; anchor?: string }) => {
    if (action === undefined) return (await import('./audit.js')).printAudit(await loadConfig(), opts);
    if (action !== 'verify') throw new InvalidArgumentError(`unknown audit action "${action}"; the only one is "verify"`);
    const { verifyAuditCommand } = await import('./audit.js');
    process.exitCode = await verifyAuditCommand(await loadConfig(), opts);
  });

program
  .command('incidents')
  .description('list the incidents under the copilot home: open, investigating, diagnosed, awaiting-approval, resolved or abandoned, with the top cause and the thread')
  .option('--json', 'print {"incidents":[{"id","status","topCause","channel","thread",…}]}')
  .action(async (opts: { json?: boolean }) => (await import('./incidents.js')).printIncidents(await loadConfig(), opts));

program
  .command('schedules')
  .description('the scheduled detection jobs serve runs, with their last and next run')
  .option('--json', 'print {"jobs":[{"name","cron","lastRunAt","lastResult","nextRunAt"}]}')
  .action(async (opts: { json?: boolean }) => (await import('./schedules.js')).printSchedules(await loadConfig(), opts));

program
  .command('doctor')
  .description('every data source, chat adapter, store and the LLM: enabled or disabled and why; configured URLs are probed (exit 1 when one fails)')
  .option('--json', 'print {"checks":[{"area","name","status","detail"}]}')
  .action(async (opts: { json?: boolean }) => {
    process.exitCode = await (await import('./doctor.js')).printDoctor(await loadConfig(), opts);
  });

program
  .command('bench')
  .description('run benchmark suites and print their tables (all, or one by name)')
  .argument('[suite]', 'suite name, or "all"', 'all')
  .option('--data <dir>', 'dataset folder laid out like the shared one (default: SRE_COPILOT_DATASETS)')
  .option('--out <dir>', 'where suites write per-item result files')
  .option('--json', 'print the figures as one JSON document')
  .option('--param <key=value...>', 'suite parameters, e.g. seeds=1-8')
  .option('--via <source>', 'scenarios: read the world\'s metrics through a real connector ("prometheus")')
  .action(async (suite: string, opts: { data?: string; out?: string; json?: boolean; param?: string[]; via?: string }) => {
    const { via, ...rest } = opts;
    await (await import('./bench.js')).runBench(await loadConfig(), suite, { ...rest, param: [...(rest.param ?? []), ...(via ? [`via=${via}`] : [])] });
  });

const kb = program.command('kb').description('the knowledge base: runbooks, past incidents and postmortems, searched by words and by meaning');
const kbModes = ['hybrid', 'lexical', 'vector'];
kb.command('ingest')
  .description('ingest a Markdown/JSON file or a folder of them (re-ingesting updates changed documents and removes deleted ones; progress on stderr)')
  .argument('<path>', 'file or folder')
  .action(async (target: string) => {
    process.exitCode = await (await import('./kb.js')).kbIngest(await loadConfig(), target);
  });
kb.command('search')
  .description('the passages that best match a query, one per document')
  .argument('<query>')
  .option('--json', 'print {"results":[{"source","title","score","snippet"}]}')
  .option('-k <n>', 'how many results', seedOption, 5)
  .option('--mode <mode>', 'hybrid, lexical or vector', 'hybrid')
  .option('--service <name>', 'rank this service\'s documents higher')
  .option('--tag <tag...>', 'rank documents with these tags (e.g. fault kinds) higher')
  .action(async (query: string, opts: { json?: boolean; k: number; mode: string; service?: string; tag?: string[] }) => {
    if (!kbModes.includes(opts.mode)) throw new InvalidArgumentError(`--mode is one of ${kbModes.join(', ')}`);
    await (await import('./kb.js')).kbSearch(await loadConfig(), query, { ...opts, mode: opts.mode as 'hybrid' });
  });
kb.command('ask')
  .description('answer a question from the knowledge base: the best passages with their sources')
  .argument('<question>')
  .option('-k <n>', 'how many passages', seedOption, 3)
  .option('--json', 'print {"question","passages":[{"kind","source","title","passage"}]}')
  .action(async (question: string, opts: { k: number; json?: boolean }) => (await import('./kb.js')).kbAsk(await loadConfig(), question, opts));
kb.command('list')
  .description('the stored documents')
  .option('--json', 'print {"documents":[{"source","kind","title","chunks"}]}')
  .action(async (opts: { json?: boolean }) => (await import('./kb.js')).kbList(await loadConfig(), opts));
kb.command('remove')
  .description('remove a document by its source (a file, a folder ingested earlier, or an incident id)')
  .argument('<source>')
  .action(async (source: string) => {
    process.exitCode = await (await import('./kb.js')).kbRemove(await loadConfig(), source);
  });

program
  .command('investigate')
  .description('one investigation over the configured sources (the scenario world when none is): the ranked causes, best first')
  .option('--service <name>', 'the service in trouble (default: look at everything)')
  .option('--since <duration>', 'how long ago the trouble began, e.g. 15m, 2h', '15m')
  .option('--json', 'print {"ranking":[{"component","kind","score",…}],…} for scripts')
  .option('-s, --scenario <name>', 'the scenario world to read when no real source is configured', 'bad-deploy-payment')
  .option('--seed <n>', 'random seed of that scenario world', seedOption, 1)
  .action(async (opts: { service?: string; since: string; json?: boolean; scenario: string; seed: number }) => {
    const [scenario] = await scenarioNames(opts.scenario, 'investigate', false);
    const { parseSince, runInvestigate, formatInvestigation } = await import('./investigate.js');
    const sinceMs = parseSince(opts.since);
    const out = await runInvestigate(await loadConfig(), { sinceMs, scenario: scenario!, seed: opts.seed, ...(opts.service ? { service: opts.service } : {}), ...(opts.json ? { json: true } : {}) });
    process.stdout.write(opts.json ? `${JSON.stringify(out, null, 2)}\n` : `${formatInvestigation(out)}\n`);
  });

program
  .command('serve')
  .description('the bot: HTTP (webhooks, OTLP, healthz, readyz, metrics), chat adapters (Slack, Discord, else this console), scheduled detection — on the configured sources, or the scenario world when none is')
  .option('-s, --scenario <name>', 'the scenario world to run when no real source is configured', 'bad-deploy-payment')
  .option('--seed <n>', 'random seed of the scenario world', seedOption, 1)
  .action(async (opts: { scenario: string; seed: number }) => {
    const [scenario] = await scenarioNames(opts.scenario, 'serve', false);
    const { runServe } = await import('./serve.js'); // it answers /healthz before it loads the copilot's runtime
    await runServe({ config: await loadConfig(), scenario: scenario!, seed: opts.seed });
    process.exit(0); // everything is closed; pending client retries must not keep the process alive
  });

program
  .command('worker')
  .description('runs the investigations serve queues (needs REDIS_URL and DATABASE_URL, the same as serve): start any number, anywhere')
  .option('-c, --concurrency <n>', 'investigations at once in this process (scale out with more workers: one investigation uses about one core)', seedOption, 1)
  .option('--port <n>', 'serve /healthz, /readyz and /metrics on this port (0: any free port)', seedOption)
  .option('-s, --scenario <name>', 'the scenario world to read when no real source is configured (as serve)', 'bad-deploy-payment')
  .option('--seed <n>', 'random seed of that scenario world (as serve)', seedOption, 1)
  .action(async (opts: { concurrency: number; port?: number; scenario: string; seed: number }) => {
    const [scenario] = await scenarioNames(opts.scenario, 'worker', false);
    const { runWorker } = await import('./worker.js');
    await runWorker({ config: await loadConfig(), scenario: scenario!, seed: opts.seed, concurrency: Math.max(1, opts.concurrency), ...(opts.port !== undefined ? { port: opts.port } : {}) });
    process.exit(0);
  });

const pct = (x: number) => `${Math.round(x * 100)} %`;

/** Scenario names from the command line, checked against the scenario table alone: bad input fails before the slow runtime loads. */
async function scenarioNames(name: string, command: string, allowAll: boolean): Promise<string[]> {
  const { listScenarios } = await import('../world/index.js');
  const all = listScenarios().map((s) => s.name);
  if (name === 'all') {
    if (!allowAll) throw new Error(`${command} runs one scenario at a time; name one`);
    return all;
  }
  if (!all.includes(name)) throw new Error(`unknown scenario "${name}"; choose one of: ${allowAll ? 'all, ' : ''}${all.join(', ')}`);
  return [name];
}

program.parseAsync(process.argv).catch(async (err: unknown) => {
  // People get a sentence, not a stack trace; SRE_COPILOT_DEBUG=1 shows the trace.
  const message = err instanceof Error ? err.message : String(err); // ConfigError included
  process.stderr.write(`sre-copilot: ${message}\n`);
  if (err instanceof Error && (await import('../config.js')).processSettings().debug) process.stderr.write(`${err.stack}\n`);
  process.exit(2);
});
