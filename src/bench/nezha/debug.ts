// scratch driver (not part of the suite): prints per-case features
import { nezhaParams, runNezha } from './suite.js';
import { datasetRoot } from './data.js';
const f2 = (x: number) => x.toFixed(2);
const P = nezhaParams(Object.fromEntries(process.argv.slice(2).map((a) => a.split('=') as [string, string])));
await runNezha(datasetRoot(), (l) => process.stderr.write(`${l}\n`), (o) => {
  console.log(`\n== ${o.fault.injectTime} ${o.fault.type} ${o.fault.service} rank ${o.rank} (${o.seconds.toFixed(2)}s)`);
  const show = new Set([o.fault.service, ...o.top.slice(0, 4)]);
  for (const r of o.result.ranked.filter((r) => show.has(r.service))) {
    const f = o.result.features.find((x) => x.service === r.service)!;
    console.log(`${r.service === o.fault.service ? '*' : ' '} ${r.service.padEnd(32)} s=${f2(r.score)} lN=${f2(f.logNew)} lV=${f2(f.logVanished)} tN=${f2(f.traceNew)} tV=${f2(f.traceVanished)} self=${f2(f.selfTime)} m=${f2(f.metric)} ${f.metricName} onset=${Number.isFinite(f.onsetMs) ? ((f.onsetMs - o.fault.injectMs) / 1000).toFixed(0) : '-'}s`);
    for (const c of f.changes.slice(0, 3)) console.log(`      ${c.kind} ${c.baseline}->${c.window} exp ${c.expected.toFixed(1)} s${c.surprise.toFixed(1)} ${c.label.slice(0, 110)}`);
  }
}, P);
