import { afterEach, describe, expect, it } from 'vitest';
import { listIncidents } from '../src/cli/incidents.js';
import type { Config } from '../src/config.js';
import { type LiveSession, startLiveSession } from '../src/live/session.js';
import { missingStackBinaries } from '../src/live/stack.js';
import { testConfig } from './helpers.js';

/**
 * "Connect your stack", end to end with real servers: `sre-copilot serve` as its own process, pointed at a real
 * Prometheus (scraping the scenario world's /metrics every second) and a real Alertmanager, with the world's spans
 * and logs arriving on serve's OTLP receiver. (1) A real alerting rule fires, Alertmanager delivers it, and serve's
 * thread names the faulty service. (2) With no rule at all, serve's scheduled detection finds the degradation itself.
 */
const missing = missingStackBinaries();
if (missing.length) console.warn(`live integration test skipped: ${missing.join(', ')} not installed`);

describe.skipIf(missing.length > 0)('serve on a real Prometheus, Alertmanager and OTLP', () => {
  let session: LiveSession | null = null;
  afterEach(async () => {
    await session?.close();
    session = null;
  });

  const topCause = async (config: Config, home: string) => (await listIncidents({ ...config, home })).map((i) => ({ title: i.title, top: i.topCause }));

  it('diagnoses the right service when a real alerting rule fires through Alertmanager', async () => {
    const config = await testConfig();
    session = await startLiveSession({ config, scenario: 'bad-deploy-payment', seed: 2, log: () => undefined, detectCron: 'off' });
    await session.waitFor(/🚨 ServiceErrorRateHigh/, 90_000);
    await session.waitFor(/Ranked root-cause hypotheses/, 60_000);
    const incidents = await topCause(config, session.serveHome);
    // payment-service fails and so do its callers: Alertmanager sends a group per service, and the groups about
    // services on one call path are one incident, whichever arrived first
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ title: expect.stringMatching(/^ServiceErrorRateHigh on /), top: { target: 'payment-service', kind: 'bad_deploy' } });
    expect(session.transcript()).toMatch(/ServiceErrorRateHigh on payment-service/);
  }, 200_000);

  it('finds a degradation no rule alerts on with scheduled detection', async () => {
    const config = await testConfig();
    session = await startLiveSession({ config, scenario: 'bad-deploy-payment', seed: 3, log: () => undefined, detectCron: '*/5 * * * * *', rules: [] });
    await session.waitFor(/📈 Found by scheduled detection: .*no alert had fired/, 120_000);
    await session.waitFor(/Ranked root-cause hypotheses/, 60_000);
    const incidents = await topCause(config, session.serveHome);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.top).toMatchObject({ target: 'payment-service', kind: 'bad_deploy' });
    expect(session.transcript()).not.toMatch(/🚨 ServiceErrorRateHigh/);
  }, 200_000);
});
