/** The bundled scenarios: every fault kind, several targets. */
import type { ScenarioDef } from './types.js';

export const SCENARIOS: readonly ScenarioDef[] = [
  { name: 'cpu-saturation-catalog', description: 'catalog-service saturates its CPU; product pages and search slow down until it is scaled out.',
    fault: { kind: 'cpu_saturation', target: 'catalog-service' } },
  { name: 'cpu-saturation-search', description: 'search-service pegs its CPU quota; searches time out and the storefront gets slower.',
    fault: { kind: 'cpu_saturation', target: 'search-service' } },
  { name: 'memory-leak-cart', description: 'cart-service leaks heap until the JVM runs out of memory and restarts, again and again.',
    fault: { kind: 'memory_leak', target: 'cart-service' } },
  { name: 'memory-leak-user', description: 'user-service leaks heap; GC pauses and OOM restarts hit every logged-in page.',
    fault: { kind: 'memory_leak', target: 'user-service' } },
  { name: 'disk-full-shipping', description: 'the disk of shipping-service\'s host fills up; shipment writes fail and checkouts drop.',
    fault: { kind: 'disk_full', target: 'shipping-service' } },
  { name: 'network-latency-order-payment', description: 'the network path from order-service to payment-service degrades: added delay, retransmits and timeouts.',
    fault: { kind: 'network_latency', target: 'order-service->payment-service' } },
  { name: 'db-connection-exhaustion', description: 'slow queries pin every postgres-main connection; all database callers time out waiting for a connection.',
    fault: { kind: 'db_connection_exhaustion', target: 'postgres-main' } },
  { name: 'bad-deploy-payment', description: 'a new payment-service release throws NullPointerExceptions on card authorisation.',
    fault: { kind: 'bad_deploy', target: 'payment-service' } },
  { name: 'bad-deploy-inventory', description: 'a new inventory-service release panics on stock reservations; orders fail.',
    fault: { kind: 'bad_deploy', target: 'inventory-service' } },
  { name: 'config-change-order', description: 'a configuration change cuts order-service\'s payment client timeout far below payment latency.',
    fault: { kind: 'config_change', target: 'order-service' } },
  { name: 'third-party-timeout-bank', description: 'the external bank gateway (primary acquirer) stops answering in time; payments fail.',
    fault: { kind: 'third_party_timeout', target: 'bank-gateway' } },
  { name: 'cache-outage', description: 'redis-cache crashes; callers fall back to postgres, which slows down under the extra load.',
    fault: { kind: 'cache_outage', target: 'redis-cache' } },
];
