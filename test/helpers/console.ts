import assert from 'node:assert/strict';
import { csrfFrom, type TestBrowser } from './browser.ts';

/**
 * Registers an app through the console's form. An accepted registration redirects (303) to the
 * app's page, which is returned: the page that shows the App Secret once. A refused one is the
 * form again, returned as it came.
 */
export async function registerThroughForm(browser: TestBrowser, fields: Record<string, string>) {
  const form = await browser.get('/console/apps/new');
  assert.equal(form.status, 200, 'a signed-in user gets the registration form');
  const posted = await browser.post('/console/apps/new', { csrf_token: csrfFrom(form.text), ...fields });
  if (posted.status !== 303) return posted;
  assert.match(posted.location ?? '', /^\/console\/apps\/[0-9a-f]{32}\?registered=1$/, "an accepted registration redirects to the app's page");
  return browser.get(posted.location!);
}

/** Posts the rotation form and follows its redirect to the app's page, which shows the new secret once. */
export async function rotateThroughForm(browser: TestBrowser, clientId: string, csrf: string) {
  const posted = await browser.post(`/console/apps/${clientId}/rotate-secret`, { csrf_token: csrf });
  if (posted.status !== 303) return posted;
  assert.equal(posted.location, `/console/apps/${clientId}?rotated=1`, "a rotation redirects to the app's page");
  return browser.get(posted.location!);
}
