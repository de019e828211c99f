import type { ConnectStore } from '../../src/connect/storage.ts';
import { issueTicket } from '../../src/connect/binding/index.ts';

export { github, qq, registerAndBind, weibo } from '../../src/connect/index.ts';

/** A ticket for a given browser hash, as the callback would have made it. */
export function issueTicketForTest(store: ConnectStore, identityId: string, browser: string): Promise<string> {
  return issueTicket(store, identityId, browser);
}
