import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { compileRedactionPattern, splitRedactionPatterns } from './redaction/redact.js';

/**
 * The one place that reads the environment. Everything else receives a validated Config from the composition root.
 * Every variable is listed in .env.example.
 */
const csv = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

const EnvSchema = z.object({
  SRE_COPILOT_HOME: z.string().default('.sre-copilot'),
  SRE_COPILOT_DATASETS: z.string().default('../shared/datasets'),
  /** derived data worth keeping between runs and homes (the knowledge base's compact word vectors) */
  SRE_COPILOT_CACHE_DIR: z.string().optional(),
  // unset: postgres when DATABASE_URL is set, else the LibSQL file under the home
  SRE_COPILOT_STORAGE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['libsql', 'postgres']).optional()),
  /** PostgreSQL for several processes sharing one store (postgres://user:password@host:5432/db) */
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^postgres(ql)?:\/\//i.test(v), 'a postgres:// or postgresql:// URL'),
  /** BullMQ on Redis for work shared by several processes (redis://[:password@]host:6379[/db]) */
  REDIS_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^rediss?:\/\//i.test(v), 'a redis:// or rediss:// URL'),
  /** the Redis key prefix, so deployments sharing one Redis keep apart */
  SRE_COPILOT_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('sre-copilot'),
  /** how long a worker's hold on a job lasts unrenewed: a worker that died gives its job back after about this long */
  SRE_COPILOT_JOB_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** the schema SRE-Copilot's tables live in (created when missing) */
  SRE_COPILOT_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _').default('sre_copilot'),
  SRE_COPILOT_APPROVERS: csv,
  SRE_COPILOT_USER: z.string().optional(),
  SRE_COPILOT_APPROVERS_LOW: csv,
  SRE_COPILOT_APPROVERS_MEDIUM: csv,
  SRE_COPILOT_APPROVERS_HIGH: csv,
  SRE_COPILOT_PLAN_TTL_MINUTES: z.coerce.number().min(0).default(60),
  SRE_COPILOT_SHELL_ENABLED: z.enum(['true', 'false', '']).optional(),
  SRE_COPILOT_SHELL_ALLOW: csv,
  SRE_COPILOT_SHELL_CWD: z.string().optional(),
  SRE_COPILOT_SHELL_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  SRE_COPILOT_WEBHOOK_URL: z.url().optional(),
  SRE_COPILOT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  SRE_COPILOT_RUNBOOKS: z.string().optional(),
  // unset: the scenario world's simulated cluster when the world is the data source, else the shell executor (off unless enabled)
  SRE_COPILOT_EXECUTOR: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['scenario', 'shell', 'webhook', 'kubectl']).optional()),
  SRE_COPILOT_HOOKS: csv.pipe(
    z.array(
      z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]*=https?:\/\/\S+$/i, 'each hook is name=http(s)://url')
        .refine((pair) => URL.canParse(pair.slice(pair.indexOf('=') + 1)), 'the hook URL does not parse'),
    ),
  ),
  // Real telemetry sources: each is used when its URL is set (docs: prometheus.md, logs-and-traces.md, alerts.md)
  PROMETHEUS_URL: z.url().optional(),
  LOKI_URL: z.url().optional(),
  JAEGER_URL: z.url().optional(),
  TEMPO_URL: z.url().optional(),
  // their credentials (docs/logs-and-traces.md): a bearer token, or basic auth as user:password; a tenant (X-Scope-OrgID)
  LOKI_AUTH_TOKEN: z.string().optional(),
  LOKI_BASIC_AUTH: z.string().regex(/^(?:$|[^:]+:)/, 'user:password').optional(),
  LOKI_TENANT_ID: z.string().optional(),
  /** labels that name a service in Loki, tried in order (default service_name, service, job) */
  LOKI_SERVICE_LABELS: csv,
  JAEGER_AUTH_TOKEN: z.string().optional(),
  JAEGER_BASIC_AUTH: z.string().regex(/^(?:$|[^:]+:)/, 'user:password').optional(),
  TEMPO_AUTH_TOKEN: z.string().optional(),
  TEMPO_BASIC_AUTH: z.string().regex(/^(?:$|[^:]+:)/, 'user:password').optional(),
  TEMPO_TENANT_ID: z.string().optional(),
  ALERTMANAGER_URL: z.url().optional(),
  /** a YAML file with metric mappings, business KPIs, label conventions and limits (docs/examples/sre-copilot.yaml) */
  SRE_COPILOT_CONFIG: z.string().optional(),
  /** a curated CMDB: a YAML/JSON file or an http(s) URL serving one (docs/cmdb.md); merged with discovered topology */
  SRE_COPILOT_CMDB: z.string().optional(),
  /**
   * `scenario` forces the bundled simulated shop even when real sources are configured; `off` never uses it (an
   * OTLP-only deployment); `auto`: the world until a real source is configured or OTLP data arrives
   */
  SRE_COPILOT_WORLD: z.enum(['auto', 'scenario', 'off']).default('auto'),
  /** the golden-signal detection job's schedule (cron), or "off" */
  SRE_COPILOT_DETECT_CRON: z.string().default('* * * * *'),
  LLM_PROVIDER: z.enum(['none', 'openai', 'anthropic', 'ollama']).default('none'),
  LLM_BASE_URL: z.url().optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().optional(),
  LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** knowledge base: an OpenAI-compatible embeddings API (…/v1) instead of the offline word vectors */
  KB_EMBEDDINGS_URL: z.url().optional(),
  KB_EMBEDDINGS_MODEL: z.string().min(1).optional(),
  KB_EMBEDDINGS_API_KEY: z.string().optional(),
  /** knowledge base: vectors in Upstash Vector instead of the local LibSQL file (both must be set) */
  UPSTASH_VECTOR_REST_URL: z.url().optional(),
  UPSTASH_VECTOR_REST_TOKEN: z.string().optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  SRE_COPILOT_KUBECTL: z.string().default('kubectl'),
  SRE_COPILOT_KUBECTL_NAMESPACE: z.string().default('default'),
  SRE_COPILOT_KUBECTL_CONTEXT: z.string().optional(),
  SRE_COPILOT_REDACT_PATTERNS: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: z.url().optional(),
  SLACK_ALERT_CHANNELS: csv,
  SLACK_APPROVERS: csv,
  DISCORD_TOKEN: z.string().optional(),
  DISCORD_APPLICATION_ID: z.string().optional(),
  DISCORD_ALERT_CHANNELS: csv,
  DISCORD_APPROVERS: csv,
  DISCORD_API_URL: z.url().optional(),
  // alert receivers (docs/alerts.md): the bearer token they require, where their incidents are posted, the reconcile
  SRE_COPILOT_WEBHOOK_TOKEN: z.string().optional(),
  SLACK_INCIDENT_CHANNEL: z.string().optional(),
  DISCORD_INCIDENT_CHANNEL: z.string().optional(),
  ALERTMANAGER_RECONCILE_SECONDS: z.coerce.number().positive().default(60),
  ALERTMANAGER_RECEIVER: z.string().optional(),
  // the OTLP receiver's bounded store (docs/otlp.md): the most spans / log records / metric points held, and their age
  SRE_COPILOT_OTLP_MAX_SPANS: z.coerce.number().int().positive().default(200_000),
  SRE_COPILOT_OTLP_MAX_LOGS: z.coerce.number().int().positive().default(200_000),
  SRE_COPILOT_OTLP_MAX_POINTS: z.coerce.number().int().positive().default(500_000),
  SRE_COPILOT_OTLP_MAX_AGE_MINUTES: z.coerce.number().positive().default(180),
  SRE_COPILOT_OTLP_MAX_BODY_MB: z.coerce.number().positive().default(20),
});

export interface LlmConfig {
  provider: 'openai' | 'anthropic' | 'ollama';
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
}

/** Where threads nobody started (alert webhooks) open: the incident channel, else the first alert channel. */
export function incidentChannelOf(chat: { incidentChannel?: string; alertChannels: string[] }): string | undefined {
  return chat.incidentChannel ?? chat.alertChannels[0];
}

export interface SlackConfig {
  botToken: string;
  /** HTTP mode verifies requests with it; Socket Mode does not need it */
  signingSecret?: string;
  /** set: Socket Mode; unset: HTTP mode (POST /slack/events on serve's HTTP server) */
  appToken?: string;
  /** Web API base, e.g. a local test server; default Slack's */
  apiUrl?: string;
  alertChannels: string[];
  /** where incidents from alert webhooks start their threads (SLACK_INCIDENT_CHANNEL; default the first alert channel) */
  incidentChannel?: string;
  /** Slack user ids (U…) or user-group ids (S…) */
  approvers: string[];
}

export interface DiscordConfig {
  token: string;
  applicationId?: string;
  alertChannels: string[];
  /** where incidents from alert webhooks start their threads (DISCORD_INCIDENT_CHANNEL; default the first alert channel) */
  incidentChannel?: string;
  /** Discord user ids or role ids */
  approvers: string[];
  /** REST base, e.g. a local test server; default Discord's */
  apiUrl?: string;
}

/** Credentials for an HTTP telemetry source; never printed (the connectors redact them from their errors). */
export interface SourceAuth {
  bearerToken?: string;
  /** user:password */
  basicAuth?: string;
  /** multi-tenant Loki/Tempo: X-Scope-OrgID */
  tenantId?: string;
}

/** Where real telemetry comes from; each source is used when its URL is set. */
export interface SourcesConfig {
  prometheusUrl?: string;
  lokiUrl?: string;
  jaegerUrl?: string;
  tempoUrl?: string;
  /** how to authenticate to each (the shape the Loki/Jaeger/Tempo connectors take next to their url) */
  lokiAuth?: SourceAuth;
  jaegerAuth?: SourceAuth;
  tempoAuth?: SourceAuth;
  /** LOKI_SERVICE_LABELS; empty: the connector's default (service_name, service, job) */
  lokiServiceLabels?: string[];
  alertmanagerUrl?: string;
  /** SRE_COPILOT_CONFIG: absolute path of the YAML file with mappings and limits */
  configFile?: string;
  /** SRE_COPILOT_CMDB: an absolute file path or an http(s) URL */
  cmdb?: string;
}

export interface Config {
  home: string;
  /** the real telemetry sources (none: the scenario world) */
  sources?: SourcesConfig;
  /** `scenario`: the bundled world even when real sources are configured; `auto`: the world only when none is */
  world?: 'auto' | 'scenario' | 'off';
  /** the golden-signal detection job's cron schedule; null: scheduled detection is off */
  detectCron?: string | null;
  datasetsDir: string;
  /** SRE_COPILOT_CACHE_DIR: derived data shared by every home (default node_modules/.cache/sre-copilot) */
  cacheDir: string;
  /** the knowledge base's embeddings endpoint and vector store, when not the offline defaults */
  knowledge?: { embeddings?: { url: string; model: string; apiKey?: string }; upstash?: { url: string; token: string } };
  storage: 'libsql' | 'postgres';
  /** the job queue: BullMQ when REDIS_URL is set, else in-process */
  queue?: { redisUrl?: string; prefix: string; lockMs?: number };
  /** PostgreSQL (DATABASE_URL), when storage is postgres */
  database?: { url: string; schema: string };
  /** who this console session acts as */
  user: string;
  /** who may approve remediation plans from the console */
  approvers: string[];
  /** approvers per plan risk level; an empty or missing list means the plan's own approvers */
  approversByRisk?: { low: string[]; medium: string[]; high: string[] };
  /** minutes a proposed plan may wait for its approval, on the copilot's clock (0: forever; default 60) */
  planTtlMinutes?: number;
  /** the local shell executor: off unless SRE_COPILOT_SHELL_ENABLED=true; only allow-listed command names run */
  shell?: { enabled: boolean; allow: string[]; cwd: string; timeoutMs: number };
  /** the kubectl executor: the binary, namespace and context it acts in */
  kubectl?: { binary: string; namespace: string; context?: string; timeoutMs: number };
  /** a folder of runbooks (Markdown with YAML front matter) replacing the bundled ones */
  runbooksDir?: string;
  /** which executor runs registered actions: the scenario world (default), shell, webhook or kubectl */
  executor?: 'scenario' | 'shell' | 'webhook' | 'kubectl';
  /** automation hooks that `call_webhook` steps name: hook name → URL (SRE_COPILOT_HOOKS) */
  hooks?: Record<string, string>;
  /** the HTTP webhook executor, when SRE_COPILOT_WEBHOOK_URL is set */
  webhook?: { url: string; timeoutMs: number } | null;
  llm: LlmConfig | null;
  /** serve's one HTTP server (health, readiness, metrics, Slack's events): PORT (0: an ephemeral port) and HOST */
  http: { port: number; host: string };
  /**
   * The alert receivers (POST /webhooks/…): the bearer token they require (SRE_COPILOT_WEBHOOK_TOKEN; none: open), and
   * with ALERTMANAGER_URL the reconcile's period and the receiver whose alerts it takes (default: every alert)
   */
  alertReceivers?: { token?: string; reconcileMs: number; receiver?: string };
  /** set when SLACK_BOT_TOKEN is */
  slack: SlackConfig | null;
  /** set when DISCORD_TOKEN is */
  discord: DiscordConfig | null;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  /** the deployment's own redaction patterns (regex sources), applied after the built-in rules */
  redactPatterns?: string[];
  /** the OTLP/HTTP receiver: its store's bounds (oldest dropped first) and the largest request body it reads */
  otlp?: { maxSpans: number; maxLogs: number; maxPoints: number; maxAgeMinutes: number; maxBodyBytes: number };
}

const DEFAULT_BASE_URL = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  ollama: 'http://127.0.0.1:11434/v1',
} as const;

const DEFAULT_MODEL = { openai: 'gpt-4o-mini', anthropic: 'claude-sonnet-4-5', ollama: 'llama3.1' } as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration (${problems}); see .env.example`);
  }
  const e = parsed.data;
  const user = e.SRE_COPILOT_USER ?? safeUserName();
  let llm: LlmConfig | null = null;
  if (e.LLM_PROVIDER !== 'none') {
    if (e.LLM_PROVIDER !== 'ollama' && !e.LLM_API_KEY) {
      throw new ConfigError(`LLM_PROVIDER=${e.LLM_PROVIDER} needs an API key: set LLM_API_KEY`);
    }
    llm = {
      provider: e.LLM_PROVIDER,
      baseUrl: e.LLM_BASE_URL ?? DEFAULT_BASE_URL[e.LLM_PROVIDER],
      model: e.LLM_MODEL ?? DEFAULT_MODEL[e.LLM_PROVIDER],
      timeoutMs: e.LLM_TIMEOUT_MS,
      ...(e.LLM_API_KEY ? { apiKey: e.LLM_API_KEY } : {}),
    };
  }
  if (e.SLACK_BOT_TOKEN && !e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
    throw new ConfigError('Slack in HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  const slack: SlackConfig | null = e.SLACK_BOT_TOKEN
    ? {
        botToken: e.SLACK_BOT_TOKEN,
        ...(e.SLACK_SIGNING_SECRET ? { signingSecret: e.SLACK_SIGNING_SECRET } : {}),
        ...(e.SLACK_APP_TOKEN ? { appToken: e.SLACK_APP_TOKEN } : {}),
        ...(e.SLACK_API_URL ? { apiUrl: e.SLACK_API_URL } : {}),
        alertChannels: e.SLACK_ALERT_CHANNELS,
        ...(e.SLACK_INCIDENT_CHANNEL?.trim() ? { incidentChannel: e.SLACK_INCIDENT_CHANNEL.trim() } : {}),
        approvers: e.SLACK_APPROVERS,
      }
    : null;
  const discord: DiscordConfig | null = e.DISCORD_TOKEN
    ? {
        token: e.DISCORD_TOKEN,
        ...(e.DISCORD_APPLICATION_ID ? { applicationId: e.DISCORD_APPLICATION_ID } : {}),
        alertChannels: e.DISCORD_ALERT_CHANNELS,
        ...(e.DISCORD_INCIDENT_CHANNEL?.trim() ? { incidentChannel: e.DISCORD_INCIDENT_CHANNEL.trim() } : {}),
        approvers: e.DISCORD_APPROVERS,
        ...(e.DISCORD_API_URL ? { apiUrl: e.DISCORD_API_URL } : {}),
      }
    : null;
  const storage = e.SRE_COPILOT_STORAGE ?? (e.DATABASE_URL ? 'postgres' : 'libsql');
  return {
    home: path.resolve(cwd, e.SRE_COPILOT_HOME),
    sources: {
      ...(e.PROMETHEUS_URL ? { prometheusUrl: e.PROMETHEUS_URL } : {}),
      ...(e.LOKI_URL ? { lokiUrl: e.LOKI_URL } : {}),
      ...(e.JAEGER_URL ? { jaegerUrl: e.JAEGER_URL } : {}),
      ...(e.TEMPO_URL ? { tempoUrl: e.TEMPO_URL } : {}),
      ...sourceAuth('lokiAuth', e.LOKI_AUTH_TOKEN, e.LOKI_BASIC_AUTH, e.LOKI_TENANT_ID),
      ...sourceAuth('jaegerAuth', e.JAEGER_AUTH_TOKEN, e.JAEGER_BASIC_AUTH, undefined),
      ...sourceAuth('tempoAuth', e.TEMPO_AUTH_TOKEN, e.TEMPO_BASIC_AUTH, e.TEMPO_TENANT_ID),
      ...(e.LOKI_SERVICE_LABELS.length > 0 ? { lokiServiceLabels: e.LOKI_SERVICE_LABELS } : {}),
      ...(e.ALERTMANAGER_URL ? { alertmanagerUrl: e.ALERTMANAGER_URL } : {}),
      ...(e.SRE_COPILOT_CONFIG ? { configFile: path.resolve(cwd, e.SRE_COPILOT_CONFIG) } : {}),
      ...(e.SRE_COPILOT_CMDB?.trim() ? { cmdb: /^https?:\/\//i.test(e.SRE_COPILOT_CMDB.trim()) ? e.SRE_COPILOT_CMDB.trim() : path.resolve(cwd, e.SRE_COPILOT_CMDB.trim()) } : {}),
    },
    world: e.SRE_COPILOT_WORLD,
    detectCron: e.SRE_COPILOT_DETECT_CRON.trim() === 'off' ? null : e.SRE_COPILOT_DETECT_CRON.trim(),
    datasetsDir: path.resolve(cwd, e.SRE_COPILOT_DATASETS),
    // beside the packages it is derived from, so every home (each test, each worker) shares one copy
    cacheDir: e.SRE_COPILOT_CACHE_DIR ? path.resolve(cwd, e.SRE_COPILOT_CACHE_DIR) : fileURLToPath(new URL('../node_modules/.cache/sre-copilot', import.meta.url)),
    knowledge: {
      ...(e.KB_EMBEDDINGS_URL ? { embeddings: { url: e.KB_EMBEDDINGS_URL, model: e.KB_EMBEDDINGS_MODEL ?? 'text-embedding-3-small', ...(e.KB_EMBEDDINGS_API_KEY ? { apiKey: e.KB_EMBEDDINGS_API_KEY } : {}) } } : {}),
      ...(e.UPSTASH_VECTOR_REST_URL && e.UPSTASH_VECTOR_REST_TOKEN ? { upstash: { url: e.UPSTASH_VECTOR_REST_URL, token: e.UPSTASH_VECTOR_REST_TOKEN } } : {}),
    },
    storage,
    queue: { ...(e.REDIS_URL ? { redisUrl: e.REDIS_URL } : {}), prefix: e.SRE_COPILOT_QUEUE_PREFIX, lockMs: e.SRE_COPILOT_JOB_LOCK_MS },
    // Mastra's runs go where the incident store is: PostgreSQL only with the postgres store
    ...(storage === 'postgres' && e.DATABASE_URL ? { database: { url: e.DATABASE_URL, schema: e.SRE_COPILOT_DB_SCHEMA } } : {}),
    user,
    approvers: e.SRE_COPILOT_APPROVERS.length > 0 ? e.SRE_COPILOT_APPROVERS : [user],
    approversByRisk: { low: e.SRE_COPILOT_APPROVERS_LOW, medium: e.SRE_COPILOT_APPROVERS_MEDIUM, high: e.SRE_COPILOT_APPROVERS_HIGH },
    planTtlMinutes: e.SRE_COPILOT_PLAN_TTL_MINUTES,
    shell: {
      enabled: e.SRE_COPILOT_SHELL_ENABLED === 'true',
      allow: e.SRE_COPILOT_SHELL_ALLOW,
      cwd: path.resolve(cwd, e.SRE_COPILOT_SHELL_CWD || '.'),
      timeoutMs: e.SRE_COPILOT_SHELL_TIMEOUT_MS,
    },
    kubectl: {
      binary: e.SRE_COPILOT_KUBECTL,
      namespace: e.SRE_COPILOT_KUBECTL_NAMESPACE,
      ...(e.SRE_COPILOT_KUBECTL_CONTEXT ? { context: e.SRE_COPILOT_KUBECTL_CONTEXT } : {}),
      timeoutMs: 60_000,
    },
    ...(e.SRE_COPILOT_EXECUTOR ? { executor: e.SRE_COPILOT_EXECUTOR } : {}),
    ...(e.SRE_COPILOT_RUNBOOKS ? { runbooksDir: path.resolve(cwd, e.SRE_COPILOT_RUNBOOKS) } : {}),
    hooks: Object.fromEntries(e.SRE_COPILOT_HOOKS.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])),
    webhook: e.SRE_COPILOT_WEBHOOK_URL ? { url: e.SRE_COPILOT_WEBHOOK_URL, timeoutMs: e.SRE_COPILOT_WEBHOOK_TIMEOUT_MS } : null,
    llm,
    http: { port: e.PORT, host: e.HOST },
    alertReceivers: {
      ...(e.SRE_COPILOT_WEBHOOK_TOKEN ? { token: e.SRE_COPILOT_WEBHOOK_TOKEN } : {}),
      reconcileMs: Math.round(e.ALERTMANAGER_RECONCILE_SECONDS * 1000),
      ...(e.ALERTMANAGER_RECEIVER?.trim() ? { receiver: e.ALERTMANAGER_RECEIVER.trim() } : {}),
    },
    slack,
    discord,
    logLevel: e.LOG_LEVEL,
    redactPatterns: redactPatterns(e.SRE_COPILOT_REDACT_PATTERNS),
    otlp: {
      maxSpans: e.SRE_COPILOT_OTLP_MAX_SPANS,
      maxLogs: e.SRE_COPILOT_OTLP_MAX_LOGS,
      maxPoints: e.SRE_COPILOT_OTLP_MAX_POINTS,
      maxAgeMinutes: e.SRE_COPILOT_OTLP_MAX_AGE_MINUTES,
      maxBodyBytes: Math.round(e.SRE_COPILOT_OTLP_MAX_BODY_MB * 1024 * 1024),
    },
  };
}

/** `{ [key]: auth }` when any credential is set, else nothing (so an unauthenticated source has no auth key at all) */
function sourceAuth<K extends string>(
  key: K,
  bearerToken: string | undefined,
  basicAuth: string | undefined,
  tenantId: string | undefined,
): { [P in K]?: SourceAuth } {
  const auth: SourceAuth = {
    ...(bearerToken ? { bearerToken } : {}),
    ...(basicAuth ? { basicAuth } : {}),
    ...(tenantId?.trim() ? { tenantId: tenantId.trim() } : {}),
  };
  return (Object.keys(auth).length > 0 ? { [key]: auth } : {}) as { [P in K]?: SourceAuth };
}

/** Comma- or newline-separated regexes; each must compile now, so a typo stops start-up instead of leaking later. */
function redactPatterns(value: string | undefined): string[] {
  const patterns = splitRedactionPatterns(value ?? '');
  try {
    for (const p of patterns) compileRedactionPattern(p);
  } catch (err) {
    throw new ConfigError(`SRE_COPILOT_REDACT_PATTERNS: ${(err as Error).message}`);
  }
  return patterns;
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'operator';
  }
}

/**
 * Process-wide presentation settings that code far from the composition root needs (the chart renderer, the console
 * channel, the CLI's error handler). Read here like every other variable; each caller asks for what it uses.
 */
export interface ProcessSettings {
  /** SRE_COPILOT_DEBUG: print stack traces */
  debug: boolean;
  /** SRE_COPILOT_CHART_FONT: the font family charts use (default: the first known sans-serif on disk) */
  chartFont?: string;
  /** SRE_COPILOT_FONT_DIR: one more folder to look for fonts in */
  fontDir?: string;
  /** NO_COLOR / FORCE_COLOR, as https://no-color.org and common CLIs read them */
  noColor: boolean;
  forceColor: boolean;
  /** PATH, handed on to the child processes benchmarks start */
  searchPath: string;
}

export function processSettings(env: Record<string, string | undefined> = process.env): ProcessSettings {
  const set = (v: string | undefined) => v !== undefined && v !== '';
  return {
    debug: set(env['SRE_COPILOT_DEBUG']) && env['SRE_COPILOT_DEBUG'] !== '0',
    ...(env['SRE_COPILOT_CHART_FONT']?.trim() ? { chartFont: env['SRE_COPILOT_CHART_FONT'].trim() } : {}),
    ...(env['SRE_COPILOT_FONT_DIR'] ? { fontDir: env['SRE_COPILOT_FONT_DIR'] } : {}),
    noColor: set(env['NO_COLOR']),
    forceColor: set(env['FORCE_COLOR']) && env['FORCE_COLOR'] !== '0' && env['FORCE_COLOR'] !== 'false',
    searchPath: env['PATH'] ?? '/usr/bin:/bin',
  };
}
