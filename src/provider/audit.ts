import type { AuditEventInput, AuditStore } from './storage.ts';

// The audit trail's writer. Recording is synchronous and only appends to a buffer, so that no
// request runs an audit statement: the buffer goes to the store in one multi-row INSERT when the
// batch is full, at most `flushIntervalMs` after its first event, and on shutdown. An instance that
// dies without shutting down loses at most that last interval of events — the price of keeping
// the request path free of audit writes. Tokens issued alike (same app, user, address and detail)
// while a batch waits become one row with a count: issuance is the one event that comes at the
// rate of the token endpoint, and a row per token cost more than the token itself.

export type AuditEventName =
  | 'user_signed_up'
  | 'login_succeeded'
  | 'login_failed'
  | 'consent_granted'
  | 'token_issued'
  | 'token_revoked'
  | 'refresh_token_reused'
  | 'code_misused'
  | 'app_created'
  | 'app_updated'
  | 'app_secret_rotated'
  | 'app_change_refused'
  | 'app_deleted'
  | 'app_access_revoked'
  /** RP-initiated logout ended a session (the app, when the request named one). */
  | 'logged_out'
  /** A back-channel logout token reached the app (detail: attempts). */
  | 'backchannel_logout_delivered'
  /** A back-channel logout was given up (detail: attempts, reason). */
  | 'backchannel_logout_failed'
  /** An operator registered an API (RFC 8707 resource) on the console's operator page (detail: its id, uri, scopes, lifetime, format). */
  | 'resource_registered'
  /** An operator changed an API on the console's operator page (detail: its id, uri and the fields changed, old and new scopes). */
  | 'resource_updated';

export const auditEventNames: readonly AuditEventName[] = [
  'user_signed_up',
  'login_succeeded',
  'login_failed',
  'consent_granted',
  'token_issued',
  'token_revoked',
  'refresh_token_reused',
  'code_misused',
  'app_created',
  'app_updated',
  'app_secret_rotated',
  'app_change_refused',
  'app_deleted',
  'app_access_revoked',
  'logged_out',
  'backchannel_logout_delivered',
  'backchannel_logout_failed',
  'resource_registered',
  'resource_updated',
];

export interface AuditRecord {
  event: AuditEventName;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  /** Never a secret, a token or a code. */
  detail?: Record<string, unknown>;
}

export interface AuditRecorder {
  record(event: AuditRecord): void;
  /** Writes whatever is waiting; resolves once it is in the store. */
  flush(): Promise<void>;
  /** Flushes and stops the timer; later records are still buffered and written by a later flush. */
  close(): Promise<void>;
  /** Called with every event as it is recorded (the metrics count from here). */
  onRecord(listener: (event: AuditRecord) => void): void;
}

export interface AuditRecorderOptions {
  flushIntervalMs: number;
  batchSize: number;
  /** Where a failed write is reported; the events stay buffered for the next attempt. */
  onError?: (error: unknown) => void;
}

/** If the store stays unreachable, the oldest events are dropped past this many, so memory stays bounded. */
const maxBuffered = 100_000;

export function createAuditRecorder(store: { audit: Pick<AuditStore, 'insert'> }, options: AuditRecorderOptions): AuditRecorder {
  let buffer: AuditEventInput[] = [];
  /** The buffered token_issued rows by what makes them alike; a row leaves it when its batch is taken. */
  const alike = new Map<string, AuditEventInput>();
  const keyOf = new Map<AuditEventInput, string>();
  const release = (rows: AuditEventInput[]) => {
    for (const row of rows) {
      const key = keyOf.get(row);
      if (key === undefined) continue;
      keyOf.delete(row);
      alike.delete(key);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const listeners: ((event: AuditRecord) => void)[] = [];
  const onError = options.onError ?? ((error: unknown) => process.stderr.write(`grantry: audit events not written yet: ${(error as Error).message ?? error}\n`));

  const write = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    // Writes are chained so that batches land in the order they were recorded.
    writing = writing.then(async () => {
      while (buffer.length > 0) {
        const batch = buffer.slice(0, options.batchSize);
        // From here on these rows are on their way to the store: later events must not add to them.
        release(batch);
        try {
          await store.audit.insert(batch);
        } catch (error) {
          onError(error);
          if (!timer) {
            timer = setTimeout(() => void write(), options.flushIntervalMs);
            timer.unref();
          }
          return;
        }
        buffer = buffer.slice(batch.length);
      }
    });
    return writing;
  };

  return {
    record(input) {
      for (const listener of listeners) listener(input);
      const key = input.event === 'token_issued' ? JSON.stringify([input.clientId, input.userId, input.ip, input.detail]) : undefined;
      const same = key === undefined ? undefined : alike.get(key);
      if (same) {
        same.count = (same.count ?? 1) + 1;
        return;
      }
      const row: AuditEventInput = { at: Math.floor(Date.now() / 1000), event: input.event, userId: input.userId, clientId: input.clientId, ip: input.ip, detail: input.detail };
      buffer.push(row);
      if (key !== undefined) {
        alike.set(key, row);
        keyOf.set(row, key);
      }
      if (buffer.length > maxBuffered) release(buffer.splice(0, buffer.length - maxBuffered));
      if (buffer.length >= options.batchSize) void write();
      else if (!timer) {
        timer = setTimeout(() => void write(), options.flushIntervalMs);
        // A pending batch must not keep a finished process (a CLI command, a test) alive.
        timer.unref();
      }
    },
    flush: write,
    close: write,
    onRecord(listener) {
      listeners.push(listener);
    },
  };
}
