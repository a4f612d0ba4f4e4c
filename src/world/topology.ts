/** The simulated shop: components, hosts, the call graph and the CMDB built from them. */
import type { ChangeEvent, ComponentKind } from '../model/telemetry.js';

export type LogFormat = 'logfmt' | 'json' | 'java' | 'nginx' | 'postgres';
export type Lang = 'java' | 'go' | 'python' | 'node' | 'nginx' | 'postgres' | 'redis';

export interface ServiceSpec {
  name: string;
  kind: ComponentKind;
  tier: number;
  owner: string;
  oncall: string;
  host?: string; // none for external services
  version: string;
  runbook: string;
  lang: Lang;
  logFormat?: LogFormat; // none: writes no log file
  ownMs: number; // median own processing time
  sigma: number; // log-space spread of own time
  baseErr: number; // background error probability
  cpuBase: number; // cpu_util (% of quota) at nominal load
  cpuShare: number; // share of the host's cpus in its quota
  memBaseMb: number;
  memLimitMb: number;
  port: number;
  logger: string; // java logger / module name
  ops: string[]; // server operations (span names)
  dataDir: string;
}

export type EdgeKind = 'http' | 'db' | 'cache' | 'queue' | 'external';

export interface EdgeSpec {
  from: string;
  to: string;
  p: number; // probability that one request of `from` makes this call
  timeoutMs: number; // client timeout
  prop: number; // probability that a failed call fails the caller's request
  kind: EdgeKind;
  op: string; // client span name
}

export interface HostSpec {
  name: string;
  zone: string;
  cpus: number;
  memoryGb: number;
  diskGb: number;
  osMemMb: number;
  diskBase: number; // disk_util % at T0
}

const Z = { a: 'eu-west-1a', b: 'eu-west-1b', c: 'eu-west-1c' } as const;

export const HOSTS: HostSpec[] = [
  { name: 'gw-a1', zone: Z.a, cpus: 8, memoryGb: 16, diskGb: 100, osMemMb: 1400, diskBase: 38 },
  { name: 'web-a1', zone: Z.a, cpus: 8, memoryGb: 16, diskGb: 100, osMemMb: 1500, diskBase: 44 },
  { name: 'app-a1', zone: Z.a, cpus: 8, memoryGb: 8, diskGb: 200, osMemMb: 1300, diskBase: 52 },
  { name: 'app-a2', zone: Z.a, cpus: 8, memoryGb: 8, diskGb: 200, osMemMb: 1300, diskBase: 47 },
  { name: 'app-b1', zone: Z.b, cpus: 8, memoryGb: 8, diskGb: 200, osMemMb: 1300, diskBase: 55 },
  { name: 'app-b2', zone: Z.b, cpus: 8, memoryGb: 8, diskGb: 200, osMemMb: 1300, diskBase: 49 },
  { name: 'app-b3', zone: Z.b, cpus: 8, memoryGb: 8, diskGb: 100, osMemMb: 1300, diskBase: 41 },
  { name: 'app-c1', zone: Z.c, cpus: 4, memoryGb: 8, diskGb: 80, osMemMb: 1200, diskBase: 63 },
  { name: 'cache-c1', zone: Z.c, cpus: 4, memoryGb: 32, diskGb: 50, osMemMb: 1100, diskBase: 31 },
  { name: 'db-c1', zone: Z.c, cpus: 16, memoryGb: 64, diskGb: 1000, osMemMb: 2200, diskBase: 58 },
  { name: 'mq-c1', zone: Z.c, cpus: 8, memoryGb: 32, diskGb: 500, osMemMb: 1600, diskBase: 46 },
];

type Base = Omit<ServiceSpec, 'runbook' | 'dataDir'> & { runbook?: string };

const RAW: Base[] = [
  { name: 'api-gateway', kind: 'gateway', tier: 0, owner: 'edge-platform', oncall: 'edge-oncall', host: 'gw-a1', version: '2.31.0', lang: 'nginx', logFormat: 'nginx', ownMs: 1.5, sigma: 0.4, baseErr: 0.0008, cpuBase: 24, cpuShare: 0.8, memBaseMb: 420, memLimitMb: 1024, port: 443, logger: 'nginx', ops: ['GET /api/products', 'GET /api/search', 'POST /api/cart/items', 'POST /api/checkout', 'GET /api/account'] },
  { name: 'web-frontend', kind: 'service', tier: 0, owner: 'storefront', oncall: 'storefront-oncall', host: 'web-a1', version: '5.8.3', lang: 'nginx', logFormat: 'nginx', ownMs: 22, sigma: 0.45, baseErr: 0.0015, cpuBase: 36, cpuShare: 0.8, memBaseMb: 780, memLimitMb: 2048, port: 8080, logger: 'web', ops: ['GET /api/products', 'GET /api/search', 'POST /api/cart/items', 'POST /api/checkout', 'GET /api/account'] },
  { name: 'user-service', kind: 'service', tier: 1, owner: 'identity', oncall: 'identity-oncall', host: 'app-a1', version: '3.12.4', lang: 'java', logFormat: 'java', ownMs: 9, sigma: 0.45, baseErr: 0.0015, cpuBase: 31, cpuShare: 0.5, memBaseMb: 720, memLimitMb: 2048, port: 8080, logger: 'c.shop.user.UserController', ops: ['GET /users/{id}', 'POST /sessions/validate'] },
  { name: 'auth-service', kind: 'service', tier: 1, owner: 'identity', oncall: 'identity-oncall', host: 'app-a1', version: '1.14.2', lang: 'go', logFormat: 'logfmt', ownMs: 6, sigma: 0.4, baseErr: 0.001, cpuBase: 22, cpuShare: 0.3, memBaseMb: 180, memLimitMb: 512, port: 9000, logger: 'auth', ops: ['POST /oauth/token', 'POST /tokens/verify'] },
  { name: 'catalog-service', kind: 'service', tier: 1, owner: 'catalog-search', oncall: 'catalog-oncall', host: 'app-a2', version: '4.3.1', lang: 'java', logFormat: 'java', ownMs: 12, sigma: 0.45, baseErr: 0.0012, cpuBase: 38, cpuShare: 0.55, memBaseMb: 900, memLimitMb: 2048, port: 8080, logger: 'c.shop.catalog.ProductController', ops: ['GET /products/{id}', 'GET /products'] },
  { name: 'search-service', kind: 'service', tier: 2, owner: 'catalog-search', oncall: 'catalog-oncall', host: 'app-a2', version: '2.6.0', lang: 'python', logFormat: 'json', ownMs: 35, sigma: 0.5, baseErr: 0.002, cpuBase: 41, cpuShare: 0.35, memBaseMb: 650, memLimitMb: 1536, port: 8000, logger: 'search.api', ops: ['GET /search'] },
  { name: 'cart-service', kind: 'service', tier: 1, owner: 'checkout', oncall: 'checkout-oncall', host: 'app-b1', version: '2.19.7', lang: 'java', logFormat: 'java', ownMs: 8, sigma: 0.45, baseErr: 0.0015, cpuBase: 27, cpuShare: 0.5, memBaseMb: 610, memLimitMb: 1536, port: 8080, logger: 'c.shop.cart.CartService', ops: ['GET /carts/{id}', 'POST /carts/{id}/items'] },
  { name: 'order-service', kind: 'service', tier: 0, owner: 'checkout', oncall: 'checkout-oncall', host: 'app-b2', version: '6.2.0', lang: 'java', logFormat: 'java', ownMs: 28, sigma: 0.4, baseErr: 0.002, cpuBase: 29, cpuShare: 0.5, memBaseMb: 840, memLimitMb: 2048, port: 8080, logger: 'c.shop.order.OrderService', ops: ['POST /orders'] },
  { name: 'payment-service', kind: 'service', tier: 0, owner: 'payments', oncall: 'payments-oncall', host: 'app-b3', version: '2.8.1', lang: 'java', logFormat: 'json', ownMs: 40, sigma: 0.4, baseErr: 0.002, cpuBase: 26, cpuShare: 0.7, memBaseMb: 760, memLimitMb: 2048, port: 8080, logger: 'com.shop.payment.PaymentService', ops: ['POST /payments/authorize'] },
  { name: 'inventory-service', kind: 'service', tier: 1, owner: 'fulfilment', oncall: 'fulfilment-oncall', host: 'app-b2', version: '1.9.3', lang: 'go', logFormat: 'logfmt', ownMs: 10, sigma: 0.4, baseErr: 0.0015, cpuBase: 19, cpuShare: 0.3, memBaseMb: 210, memLimitMb: 512, port: 9000, logger: 'inventory', ops: ['POST /reservations'] },
  { name: 'shipping-service', kind: 'service', tier: 1, owner: 'fulfilment', oncall: 'fulfilment-oncall', host: 'app-c1', version: '3.4.2', lang: 'go', logFormat: 'logfmt', ownMs: 16, sigma: 0.4, baseErr: 0.0015, cpuBase: 18, cpuShare: 0.5, memBaseMb: 190, memLimitMb: 512, port: 9000, logger: 'shipping', ops: ['POST /shipments/quote'] },
  { name: 'notification-service', kind: 'service', tier: 2, owner: 'messaging', oncall: 'messaging-oncall', host: 'app-c1', version: '1.22.0', lang: 'node', logFormat: 'json', ownMs: 24, sigma: 0.5, baseErr: 0.002, cpuBase: 15, cpuShare: 0.35, memBaseMb: 260, memLimitMb: 768, port: 3000, logger: 'notifier', ops: ['orders.created process'] },
  { name: 'recommendation-service', kind: 'service', tier: 2, owner: 'personalization', oncall: 'personalization-oncall', host: 'app-b1', version: '0.27.5', lang: 'python', logFormat: 'json', ownMs: 26, sigma: 0.5, baseErr: 0.003, cpuBase: 44, cpuShare: 0.4, memBaseMb: 1100, memLimitMb: 2048, port: 8000, logger: 'recs.api', ops: ['GET /recommendations'] },
  { name: 'redis-cache', kind: 'cache', tier: 1, owner: 'data-platform', oncall: 'data-platform-oncall', host: 'cache-c1', version: '7.2.4', lang: 'redis', logFormat: 'logfmt', ownMs: 0.35, sigma: 0.35, baseErr: 0.0002, cpuBase: 14, cpuShare: 0.5, memBaseMb: 6200, memLimitMb: 16384, port: 6379, logger: 'redis', ops: ['GET'], runbook: 'rb-cache-outage' },
  { name: 'postgres-main', kind: 'database', tier: 0, owner: 'data-platform', oncall: 'data-platform-oncall', host: 'db-c1', version: '15.6', lang: 'postgres', logFormat: 'postgres', ownMs: 2.5, sigma: 0.7, baseErr: 0.0003, cpuBase: 28, cpuShare: 0.9, memBaseMb: 18400, memLimitMb: 49152, port: 5432, logger: 'postgres', ops: ['SELECT'], runbook: 'rb-db-connection-exhaustion' },
  { name: 'kafka', kind: 'queue', tier: 1, owner: 'data-platform', oncall: 'data-platform-oncall', host: 'mq-c1', version: '3.7.0', lang: 'java', logFormat: 'java', ownMs: 3, sigma: 0.4, baseErr: 0.0002, cpuBase: 21, cpuShare: 0.6, memBaseMb: 4300, memLimitMb: 8192, port: 9092, logger: 'k.server.ReplicaManager', ops: ['publish'], runbook: 'rb-queue-backlog' },
  { name: 'bank-gateway', kind: 'external', tier: 0, owner: 'payments', oncall: 'payments-oncall', version: 'v2', lang: 'node', ownMs: 320, sigma: 0.35, baseErr: 0.003, cpuBase: 0, cpuShare: 0, memBaseMb: 0, memLimitMb: 0, port: 443, logger: 'bank', ops: ['POST /v2/authorisations'], runbook: 'rb-third-party-timeout' },
];

export const SERVICES: ServiceSpec[] = RAW.map((s) => ({
  ...s,
  baseErr: s.baseErr * 0.4,
  runbook: s.runbook ?? `rb-${s.name}`,
  dataDir: `/var/lib/${s.name.replace(/-service$/, '')}`,
}));

const e = (from: string, to: string, p: number, timeoutMs: number, prop: number, kind: EdgeKind, op: string): EdgeSpec => ({
  from, to, p, timeoutMs, prop, kind, op,
});

export const EDGES: EdgeSpec[] = [
  e('api-gateway', 'web-frontend', 1, 10000, 1, 'http', 'proxy web-frontend'),
  e('web-frontend', 'user-service', 0.6, 2000, 0.5, 'http', 'POST /sessions/validate'),
  e('web-frontend', 'catalog-service', 0.7, 2000, 0.9, 'http', 'GET /products/{id}'),
  e('web-frontend', 'cart-service', 0.3, 2000, 1, 'http', 'POST /carts/{id}/items'),
  e('web-frontend', 'order-service', 0.03, 8000, 1, 'http', 'POST /orders'),
  e('web-frontend', 'search-service', 0.2, 2000, 1, 'http', 'GET /search'),
  e('web-frontend', 'recommendation-service', 0.35, 800, 0.05, 'http', 'GET /recommendations'),
  e('user-service', 'auth-service', 0.5, 1000, 1, 'http', 'POST /tokens/verify'),
  e('user-service', 'redis-cache', 1, 200, 0, 'cache', 'GET'),
  e('user-service', 'postgres-main', 0.35, 30000, 1, 'db', 'SELECT shop.users'),
  e('catalog-service', 'redis-cache', 1, 200, 0, 'cache', 'GET'),
  e('catalog-service', 'postgres-main', 0.2, 30000, 1, 'db', 'SELECT shop.products'),
  e('search-service', 'catalog-service', 0.5, 1000, 1, 'http', 'GET /products'),
  e('cart-service', 'redis-cache', 1, 200, 0.2, 'cache', 'HGETALL'),
  e('cart-service', 'postgres-main', 0.3, 30000, 1, 'db', 'UPDATE shop.carts'),
  e('cart-service', 'catalog-service', 0.5, 1000, 0.8, 'http', 'GET /products/{id}'),
  e('order-service', 'cart-service', 1, 2000, 1, 'http', 'GET /carts/{id}'),
  e('order-service', 'inventory-service', 1, 2000, 1, 'http', 'POST /reservations'),
  e('order-service', 'payment-service', 1, 3000, 1, 'http', 'POST /payments/authorize'),
  e('order-service', 'shipping-service', 1, 2000, 1, 'http', 'POST /shipments/quote'),
  e('order-service', 'postgres-main', 1, 30000, 1, 'db', 'INSERT shop.orders'),
  e('order-service', 'kafka', 1, 1000, 0.1, 'queue', 'orders.created publish'),
  e('payment-service', 'bank-gateway', 1, 5000, 1, 'external', 'POST /v2/authorisations'),
  e('payment-service', 'postgres-main', 1, 30000, 1, 'db', 'INSERT shop.payments'),
  e('inventory-service', 'postgres-main', 1, 30000, 1, 'db', 'UPDATE shop.stock'),
  e('shipping-service', 'kafka', 0.5, 1000, 0.1, 'queue', 'shipments.requested publish'),
  e('recommendation-service', 'catalog-service', 0.8, 500, 1, 'http', 'GET /products'),
];

export const SVC = new Map(SERVICES.map((s) => [s.name, s]));
export const HOST = new Map(HOSTS.map((h) => [h.name, h]));

export function svc(name: string): ServiceSpec {
  const s = SVC.get(name);
  if (!s) throw new Error(`unknown component ${name}`);
  return s;
}

const FROM = new Map<string, EdgeSpec[]>();
const BY_KEY = new Map<string, EdgeSpec>();
for (const x of EDGES) {
  FROM.set(x.from, [...(FROM.get(x.from) ?? []), x]);
  BY_KEY.set(`${x.from}->${x.to}`, x);
}

export function edgesFrom(name: string): EdgeSpec[] {
  return FROM.get(name) ?? [];
}

export function callersOf(name: string): string[] {
  return EDGES.filter((x) => x.to === name).map((x) => x.from);
}

export function findEdge(from: string, to: string): EdgeSpec | undefined {
  return BY_KEY.get(`${from}->${to}`);
}

export function servicesOnHost(host: string): ServiceSpec[] {
  return SERVICES.filter((s) => s.host === host);
}

/** callees before callers (reverse topological order of the call graph) */
export const LEAF_FIRST: string[] = (() => {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string): void => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const x of edgesFrom(n)) visit(x.to);
    out.push(n);
  };
  for (const s of SERVICES) visit(s.name);
  return out;
})();

/** callers before callees */
export const ROOT_FIRST: string[] = [...LEAF_FIRST].reverse();

/** services that expose metrics (everything with a host) */
export const METERED = SERVICES.filter((s) => s.host !== undefined);

/** for CMDB `dependsOn` */
export function dependsOn(name: string): string[] {
  const deps = [...new Set(edgesFrom(name).map((x) => x.to))];
  if (name === 'notification-service') deps.push('kafka');
  return deps;
}

export interface CmdbDoc {
  services: {
    name: string; kind: ComponentKind; tier: number; owner: string; oncall: string; hosts: string[];
    dependsOn: string[]; version: string; runbook: string;
  }[];
  hosts: { name: string; zone: string; cpus: number; memoryGb: number; diskGb: number }[];
  changes: (Omit<ChangeEvent, 'ts'> & { ts: string })[];
}

/** the CMDB document as written to cmdb.yaml (change timestamps as ISO strings) */
export function buildCmdb(versions: ReadonlyMap<string, string>, changes: readonly ChangeEvent[]): CmdbDoc {
  return {
    services: SERVICES.map((s) => ({
      name: s.name,
      kind: s.kind,
      tier: s.tier,
      owner: s.owner,
      oncall: s.oncall,
      hosts: s.host ? [s.host] : [],
      dependsOn: dependsOn(s.name),
      version: versions.get(s.name) ?? s.version,
      runbook: s.runbook,
    })),
    hosts: HOSTS.map((h) => ({ name: h.name, zone: h.zone, cpus: h.cpus, memoryGb: h.memoryGb, diskGb: h.diskGb })),
    changes: [...changes]
      .sort((a, b) => a.ts - b.ts)
      .map((c) => ({ ...c, ts: new Date(c.ts).toISOString() })),
  };
}
