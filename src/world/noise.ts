/**
 * Red herrings and history, all drawn from the seed: an unrelated deploy of a healthy service before onset, a batch
 * job's CPU spike on some host, older changes in the CMDB, and a few log lines that leak secrets.
 */
import type { ChangeEvent, LogLevel } from '../model/telemetry.js';
import type { Fault, FaultCtx } from './faults.js';
import { Rng } from './random.js';
import { HOSTS, SERVICES, svc } from './topology.js';
import { bumpVersion, changeId, previousVersion, startedMessage } from './templates.js';

export interface NoisePlan {
  deploy: { service: string; minute: number; from: string; to: string; flag: string };
  spike: { host: string; start: number; len: number; add: number } | undefined;
  secrets: { minute: number; service: string; level: LogLevel; text: string }[];
  history: ChangeEvent[];
}

const DEPLOY_CANDIDATES = [
  'recommendation-service', 'notification-service', 'search-service', 'auth-service', 'catalog-service',
  'shipping-service', 'user-service', 'inventory-service', 'cart-service',
];
const FLAGS = ['new-ranking', 'reco-carousel-v2', 'lazy-images', 'email-batching', 'fuzzy-search', 'session-pinning'];
const DAY = 86_400_000;

/** components involved in the fault (never chosen for red herrings) */
export function involved(fault: Fault): Set<string> {
  return new Set(fault.kind === 'network_latency' ? fault.link : [fault.target]);
}

export function planNoise(seed: number, t0: number, fault: Fault): NoisePlan {
  const r = Rng.for(seed, 'noise');
  const skip = involved(fault);
  const candidates = DEPLOY_CANDIDATES.filter((s) => !skip.has(s));
  const depSvc = r.pick(candidates);
  const spec = svc(depSvc);
  const deploy = { service: depSvc, minute: fault.onset - r.int(15, 45), from: spec.version, to: bumpVersion(spec.version, r), flag: r.pick(FLAGS) };

  const busyHosts = new Set([...skip].map((s) => svc(s).host).filter((h): h is string => h !== undefined));
  const hosts = HOSTS.filter((h) => !busyHosts.has(h.name));
  const spike = r.chance(0.8)
    ? { host: r.pick(hosts).name, start: r.int(8, Math.max(9, fault.onset - 22)), len: r.int(3, 6), add: r.float(30, 50) }
    : undefined;

  const token = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LSR7${r.id(18)}.${r.id(43)}`;
  const base = Math.max(10, fault.onset - 50);
  const secrets = [
    { minute: r.int(base, fault.onset - 5), service: 'auth-service', level: 'DEBUG' as LogLevel,
      text: `outgoing request to https://idp.shop.internal/oauth/token headers="Authorization: Bearer ${token}"` },
    { minute: r.int(base, fault.onset - 5), service: 'user-service', level: 'WARN' as LogLevel,
      text: `Retrying JDBC connection jdbc:postgresql://postgres-main:5432/shop?user=shop_app&password=${r.pick(['S3cr3t-Pg-2026!', 'hunter2-prod', 'Pg!x7Kq9z'])}` },
    { minute: r.int(base, fault.onset - 5), service: 'payment-service', level: 'WARN' as LogLevel,
      text: `Card validation failed for card 4111 1111 1111 1111 exp 12/28 (order o-${r.int(1000000, 9999999)})` },
  ];

  const history: ChangeEvent[] = [];
  const histSvcs = [...SERVICES.filter((s) => s.kind === 'service' || s.kind === 'gateway')].map((s) => s.name);
  const picked = new Set<string>();
  while (picked.size < 4) picked.add(r.pick(histSvcs));
  let k = 0;
  for (const name of picked) {
    const s = svc(name);
    const ts = t0 - r.int(1, 9) * DAY - r.int(0, 600) * 60_000;
    history.push({ id: changeId(name, -1000 - k++), ts, kind: 'deploy', target: name, description: `Deploy ${name} ${s.version}`,
      from: previousVersion(s.version, 1), to: s.version, author: 'ci-pipeline' });
  }
  history.push({ id: changeId('search-service', -2000), ts: t0 - r.int(2, 6) * DAY, kind: 'config', target: 'search-service',
    description: 'set search.max.results 50→100', from: '50', to: '100', author: 'a.kowalski' });
  const host = r.pick(HOSTS).name;
  history.push({ id: changeId(host, -3000), ts: t0 - r.int(1, 4) * DAY, kind: 'infra', target: host,
    description: `Kernel patch 6.1.${r.int(90, 99)} rolled out on ${host}`, author: 'infra-bot' });
  history.push({ id: changeId('web-frontend', -4000), ts: t0 - r.int(2, 20) * 3_600_000, kind: 'feature_flag', target: 'web-frontend',
    description: 'enable checkout.one-click for 10% of users', from: 'off', to: '10%', author: 'm.dubois' });
  return { deploy, spike, secrets, history };
}

export function noiseChanges(plan: NoisePlan, t0: number): ChangeEvent[] {
  const d = plan.deploy;
  return [
    ...plan.history,
    { id: changeId(d.service, d.minute), ts: t0 + d.minute * 60_000 + 41_000, kind: 'deploy', target: d.service,
      description: `Deploy ${d.service} ${d.to}`, from: d.from, to: d.to, author: 'ci-pipeline' },
  ];
}

export function applyNoise(plan: NoisePlan, ctx: FaultCtx): void {
  const i = ctx.minute;
  const d = plan.deploy;
  if (i === d.minute) {
    const m = ctx.mods.get(d.service);
    if (m) {
      m.restarts = 1;
      m.latMult *= 1.25;
    }
    ctx.carry.versions.set(d.service, d.to);
    ctx.events.push({ service: d.service, level: 'INFO', count: 1, make: (r) => startedMessage(svc(d.service), d.to, r) });
  }
  if (i >= d.minute && ctx.rng.chance(0.35)) {
    ctx.events.push({ service: d.service, level: 'INFO', count: 1,
      make: (r) => `Feature flag '${d.flag}' evaluated: enabled for ${r.int(5, 15)}% of requests` });
  }
  const s = plan.spike;
  if (s && i >= s.start && i < s.start + s.len) {
    let h = ctx.hostMods.get(s.host);
    if (!h) ctx.hostMods.set(s.host, (h = { cpuAdd: 0, retransAdd: 0 }));
    h.cpuAdd += s.add * (i === s.start || i === s.start + s.len - 1 ? 0.6 : 1);
  }
  for (const sec of plan.secrets) {
    if (sec.minute === i) ctx.events.push({ service: sec.service, level: sec.level, count: 1, make: () => sec.text });
  }
}
