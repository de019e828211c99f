import { auditEventNames } from '../../provider/audit.ts';
import { print } from '../output.ts';
import { UsageError, type CommonFlags } from '../settings.ts';
import { withStore } from './with-store.ts';

export const auditOptions = {
  client: { type: 'string' },
  user: { type: 'string' },
  event: { type: 'string' },
  limit: { type: 'string' },
} as const;

type AuditFlags = CommonFlags & { json?: boolean; client?: string; user?: string; event?: string; limit?: string };

/** grantry audit: the audit trail, newest first, optionally for one app, one user or one kind of event. */
export async function audit(flags: AuditFlags): Promise<void> {
  const limit = flags.limit === undefined ? 100 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError(`--limit takes a whole number from 1 to 10000, not "${flags.limit}"`);
  if (flags.event !== undefined && !(auditEventNames as readonly string[]).includes(flags.event)) {
    throw new UsageError(`--event takes one of ${auditEventNames.join(', ')}; "${flags.event}" is none of them`);
  }
  await withStore(flags, async ({ store }) => {
    const events = await store.audit.list({
      limit,
      ...(flags.client !== undefined ? { clientId: flags.client } : {}),
      ...(flags.user !== undefined ? { userId: flags.user } : {}),
      ...(flags.event !== undefined ? { event: flags.event } : {}),
    });
    const lines = events.map((e) =>
      [new Date(e.at * 1000).toISOString(), e.count > 1 ? `${e.event}×${e.count}` : e.event, `client=${e.clientId ?? '-'}`, `user=${e.userId ?? '-'}`, `ip=${e.ip ?? '-'}`, e.detail ? JSON.stringify(e.detail) : '']
        .join('  ')
        .trimEnd(),
    );
    print(flags.json, { events: events.map((e) => ({ ...e, at: new Date(e.at * 1000).toISOString() })) }, events.length === 0 ? ['No audit events match.'] : lines);
  });
}
