import type { Alert } from '../model/incident.js';
import { convertAlerts, webhookAlerts } from './alertmanager.js';
import { fail, isRecord, stringMap, typeName } from './common.js';

/**
 * Grafana unified alerting webhook: the Alertmanager shape plus `orgId`, `title`, `state`, `message`, and per alert
 * `values`, `valueString`, `dashboardURL`, `panelURL`, `silenceURL`. Labels carry `alertname` and usually
 * `grafana_folder`; severity and service come from labels exactly as with Alertmanager.
 */
export function looksLikeGrafana(payload: unknown): boolean {
  if (!isRecord(payload) || !('alerts' in payload)) return false;
  if ('orgId' in payload) return true;
  if ('title' in payload && ('state' in payload || 'message' in payload)) return true;
  const alerts = payload['alerts'];
  return Array.isArray(alerts) && alerts.some((a) => isRecord(a) && ('valueString' in a || 'dashboardURL' in a));
}

export function parseGrafana(payload: unknown): Alert[] {
  if (!isRecord(payload)) fail(`Grafana payload must be an object, got ${typeName(payload)}`);
  const commonLabels = stringMap(payload['commonLabels'], 'commonLabels');
  const commonAnnotations = stringMap(payload['commonAnnotations'], 'commonAnnotations');
  // When annotations carry no summary, Grafana's valueString ("[ var='A' labels={…} value=0.12 ]") is the best text.
  return convertAlerts(webhookAlerts(payload), commonLabels, commonAnnotations, 'grafana', 'alerts', (item, name) => {
    const vs = item['valueString'];
    return typeof vs === 'string' && vs.trim() ? `${name}: ${vs.trim()}` : undefined;
  });
}
