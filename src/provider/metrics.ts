import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { AuditRecorder } from './audit.ts';

// The provider's Prometheus metrics, in a registry of their own (never prom-client's global one),
// so that two providers in one process — the tests run many — count apart. Counters that follow
// the audit trail's events are fed from its recorder, so that each event is counted where it is
// recorded and nowhere else.

export interface ProviderMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  tokensIssued: Counter<'grant_type'>;
  loginFailures: Counter;
  refreshTokenReuse: Counter;
  storeQueryDuration: Histogram;
  /** For the store's onQuery hook (src/store/open.ts). */
  observeQuery(sql: string, durationSeconds: number): void;
  /** Counts the audit trail's events as they are recorded. */
  follow(audit: AuditRecorder): void;
}

export function createMetrics(): ProviderMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'grantry_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const tokensIssued = new Counter({
    name: 'grantry_tokens_issued_total',
    help: 'Token responses issued, by grant type (implicit included)',
    labelNames: ['grant_type'] as const,
    registers: [registry],
  });
  const loginFailures = new Counter({
    name: 'grantry_login_failures_total',
    help: 'Failed sign-ins on the login page and through the password grant, refused ones included',
    registers: [registry],
  });
  const refreshTokenReuse = new Counter({
    name: 'grantry_refresh_token_reuse_total',
    help: 'Rotated refresh tokens presented again (each revokes its grant)',
    registers: [registry],
  });
  const storeQueryDuration = new Histogram({
    name: 'grantry_store_query_duration_seconds',
    help: 'Time each SQL statement took, as the store driver saw it',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    registry,
    httpRequests,
    tokensIssued,
    loginFailures,
    refreshTokenReuse,
    storeQueryDuration,
    observeQuery: (_sql, durationSeconds) => storeQueryDuration.observe(durationSeconds),
    follow(audit) {
      audit.onRecord((event) => {
        if (event.event === 'token_issued') tokensIssued.inc({ grant_type: String(event.detail?.grant_type ?? 'unknown') });
        else if (event.event === 'login_failed') loginFailures.inc();
        else if (event.event === 'refresh_token_reused') refreshTokenReuse.inc();
      });
    },
  };
}
