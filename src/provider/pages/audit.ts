import { networkOf } from '../../lib/address.ts';
import { translator, type Catalogue, type Locale } from '../../i18n/index.ts';
import type { AuditEventRow } from '../storage.ts';
import { formatDate, html, layout, type PageBasics } from './html.ts';

// /console/apps/:id/audit: what happened to one app, newest first, for its owner. The page keeps its
// own small catalogue (through the same translator as the provider's), so that it stays beside the
// one page that uses it.

const en = {
  'audit.title': 'Activity of {app}',
  'audit.intro': 'Sign-ins, consents, tokens and changes concerning this app, newest first. Events appear here within a few seconds.',
  'audit.empty': 'Nothing has happened to this app yet.',
  'audit.when': 'When',
  'audit.event': 'Event',
  'audit.user': 'User',
  'audit.address': 'Address',
  'audit.detail': 'Detail',
  'audit.older': 'Older events',
  'audit.back': 'Back to the app',
  'audit.event.user_signed_up': 'Account created',
  'audit.event.login_succeeded': 'Signed in',
  'audit.event.login_failed': 'Failed sign-in',
  'audit.event.consent_granted': 'Access allowed',
  'audit.event.token_issued': 'Token issued',
  'audit.event.token_revoked': 'Token revoked',
  'audit.event.refresh_token_reused': 'Refresh token reused (grant revoked)',
  'audit.event.code_misused': "Another app presented this app's authorization code (refused; the code is untouched)",
  'audit.event.app_created': 'App registered',
  'audit.event.app_updated': 'Settings changed',
  'audit.event.app_secret_rotated': 'App Secret rotated',
  'audit.event.app_change_refused': 'A change was refused: the sign-in was not recent enough',
  'audit.event.app_deleted': 'App deleted',
  'audit.event.app_access_revoked': 'A user removed access',
  'audit.event.logged_out': 'A user logged out through the app',
  'audit.event.backchannel_logout_delivered': 'The app was told of a logout',
  'audit.event.backchannel_logout_failed': 'The app could not be told of a logout',
  'audit.event.resource_registered': 'An operator registered an API',
  'audit.event.resource_updated': 'An operator changed an API',
} as const;

type AuditKey = keyof typeof en;

const zhCN: Catalogue<AuditKey> = {
  'audit.title': '{app} 的活动记录',
  'audit.intro': '与此应用有关的登录、授权、令牌和设置变更，最新的在前。事件会在几秒内出现在这里。',
  'audit.empty': '此应用还没有任何活动。',
  'audit.when': '时间',
  'audit.event': '事件',
  'audit.user': '用户',
  'audit.address': '地址',
  'audit.detail': '详情',
  'audit.older': '更早的事件',
  'audit.back': '返回应用',
  'audit.event.user_signed_up': '账号已注册',
  'audit.event.login_succeeded': '登录成功',
  'audit.event.login_failed': '登录失败',
  'audit.event.consent_granted': '用户已授权',
  'audit.event.token_issued': '已发放令牌',
  'audit.event.token_revoked': '令牌已撤销',
  'audit.event.refresh_token_reused': 'Refresh Token 被重复使用（授权已撤销）',
  'audit.event.code_misused': '另一个应用出示了本应用的授权码（已拒绝，授权码未受影响）',
  'audit.event.app_created': '应用已创建',
  'audit.event.app_updated': '设置已修改',
  'audit.event.app_secret_rotated': 'App Secret 已重置',
  'audit.event.app_change_refused': '一项修改被拒绝：登录时间不够近',
  'audit.event.app_deleted': '应用已删除',
  'audit.event.app_access_revoked': '用户取消了授权',
  'audit.event.logged_out': '用户通过应用退出了登录',
  'audit.event.backchannel_logout_delivered': '已通知应用用户退出了登录',
  'audit.event.backchannel_logout_failed': '未能通知应用用户退出了登录',
  'audit.event.resource_registered': '运营人员注册了一个 API',
  'audit.event.resource_updated': '运营人员修改了一个 API',
};

const t = translator<AuditKey>({ en, 'zh-CN': zhCN });

export interface AuditPageView extends PageBasics {
  app: { id: string; name: string };
  events: AuditEventRow[];
  /** The id to page on from, when there may be older events. */
  olderThan?: number;
}

function eventLabel(locale: Locale, event: string): string {
  const key = `audit.event.${event}`;
  return Object.hasOwn(en, key) ? t(locale, key as AuditKey) : event;
}

export function auditPage(view: AuditPageView): string {
  const { locale, app } = view;
  const rows = view.events.map(
    (event) => html`<tr data-testid="audit-event" data-event="${event.event}">
<td><time datetime="${new Date(event.at * 1000).toISOString()}">${formatDate(event.at)}</time></td>
<td>${eventLabel(locale, event.event)}${event.count > 1 ? html` <span data-testid="audit-count">× ${event.count}</span>` : ''}</td>
<td>${event.userId ?? ''}</td>
<td>${event.ip ? networkOf(event.ip) : ''}</td>
<td><code>${event.detail ? JSON.stringify(event.detail) : ''}</code></td>
</tr>`,
  );
  const body = html`<p>${t(locale, 'audit.intro')}</p>
${
  view.events.length === 0
    ? html`<p data-testid="audit-empty">${t(locale, 'audit.empty')}</p>`
    : html`<table class="audit">
<thead><tr><th scope="col">${t(locale, 'audit.when')}</th><th scope="col">${t(locale, 'audit.event')}</th><th scope="col">${t(locale, 'audit.user')}</th><th scope="col">${t(locale, 'audit.address')}</th><th scope="col">${t(locale, 'audit.detail')}</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
}
${view.olderThan !== undefined ? html`<p><a href="/console/apps/${encodeURIComponent(app.id)}/audit?before=${view.olderThan}" data-testid="audit-older">${t(locale, 'audit.older')}</a></p>` : ''}
<p><a href="/console/apps/${encodeURIComponent(app.id)}">${t(locale, 'audit.back')}</a></p>`;
  return layout({ ...view, title: t(locale, 'audit.title', { app: app.name }), body });
}
