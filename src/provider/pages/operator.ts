import { translator, type Catalogue } from '../../i18n/index.ts';
import type { Client, Resource } from '../storage.ts';
import { csrfField, formatDate, html, layout, type PageBasics } from './html.ts';

// /console/operator: what no person owns, for the provider's operators (console.operators): the apps
// that registered themselves (RFC 7591) and those known by their metadata document, each deletable,
// and the registered APIs (RFC 8707), read
// only (the command line changes them). Its own small catalogue, as the audit page keeps one.

const en = {
  'operator.title': 'Operator',
  'operator.registered.heading': 'Apps registered by the app itself',
  'operator.registered.intro': 'These apps registered themselves through dynamic registration; no person owns them. An app that obtains no token for {days} days is removed automatically.',
  'operator.registered.never': 'never',
  'operator.registered.empty': 'No app has registered itself.',
  'operator.name': 'Name',
  'operator.clientId': 'App Key',
  'operator.type': 'Type',
  'operator.created': 'Registered',
  'operator.lastUsed': 'Last used',
  'operator.delete': 'Delete',
  'operator.deleted': 'The app was deleted, with every token issued to it.',
  'operator.documents.heading': 'Apps known by their metadata document',
  'operator.documents.intro': 'These apps name themselves by the URL of their own metadata, which Grantry fetched. Deleting one ends its grants and tokens; it can come back by asking again, unless clientIdMetadataDocuments.allowedHosts keeps its host out.',
  'operator.documents.empty': 'No app has come with a metadata document.',
  'operator.documents.url': 'Document (client_id)',
  'operator.documents.firstSeen': 'First seen',
  'operator.resources.heading': 'Registered APIs',
  'operator.resources.intro': 'The APIs tokens may be issued for. Change them with grantry resource.',
  'operator.resources.empty': 'No API is registered.',
  'operator.uri': 'URI',
  'operator.scopes': 'Scopes',
} as const;

type OperatorKey = keyof typeof en;

const zhCN: Catalogue<OperatorKey> = {
  'operator.title': '运营管理',
  'operator.registered.heading': '应用自行注册的应用',
  'operator.registered.intro': '这些应用通过动态注册自行注册，不属于任何人。连续 {days} 天未获取令牌的应用会被自动删除。',
  'operator.registered.never': '从未',
  'operator.registered.empty': '还没有应用自行注册。',
  'operator.name': '名称',
  'operator.clientId': 'App Key',
  'operator.type': '类型',
  'operator.created': '注册时间',
  'operator.lastUsed': '最近使用',
  'operator.delete': '删除',
  'operator.deleted': '应用已删除，发给它的所有令牌均已失效。',
  'operator.documents.heading': '以元数据文档标识的应用',
  'operator.documents.intro': '这些应用以自身元数据文档的 URL 作为标识，由 Grantry 获取。删除后其授权与令牌全部失效；它再次请求时会重新出现，除非 clientIdMetadataDocuments.allowedHosts 排除了它的主机。',
  'operator.documents.empty': '还没有以元数据文档标识的应用。',
  'operator.documents.url': '文档（client_id）',
  'operator.documents.firstSeen': '首次出现',
  'operator.resources.heading': '已注册的 API',
  'operator.resources.intro': '可以为其发放令牌的 API。请用 grantry resource 命令修改。',
  'operator.resources.empty': '还没有注册任何 API。',
  'operator.uri': 'URI',
  'operator.scopes': '权限范围',
};

const t = translator<OperatorKey>({ en, 'zh-CN': zhCN });

export interface OperatorPageView extends PageBasics {
  registered: Client[];
  /** Apps known by their client ID metadata document (origin 'document'). */
  documents: Client[];
  resources: Resource[];
  unusedClientDays: number;
  deleted: boolean;
}

export function operatorPage(view: OperatorPageView): string {
  const { locale } = view;
  const m = (key: OperatorKey, params?: Record<string, string | number>) => t(locale, key, params);
  const apps = view.registered.map(
    (client) => html`<tr data-testid="registered-app" data-client-id="${client.id}">
<td>${client.name}</td>
<td><code>${client.id}</code></td>
<td>${client.appType}</td>
<td><time datetime="${new Date(client.createdAt * 1000).toISOString()}">${formatDate(client.createdAt)}</time></td>
<td>${client.lastUsedAt !== undefined ? html`<time datetime="${new Date(client.lastUsedAt * 1000).toISOString()}">${formatDate(client.lastUsedAt)}</time>` : m('operator.registered.never')}</td>
<td><form class="inline" method="post" action="/console/operator/apps/${client.id}/delete">${csrfField(view.csrf)}<button type="submit" class="danger" aria-label="${m('operator.delete')} ${client.name}">${m('operator.delete')}</button></form></td>
</tr>`,
  );
  const when = (at: number | undefined) => (at !== undefined ? html`<time datetime="${new Date(at * 1000).toISOString()}">${formatDate(at)}</time>` : m('operator.registered.never'));
  const documents = view.documents.map(
    (client) => html`<tr data-testid="document-app" data-client-id="${client.id}">
<td>${client.name}</td>
<td><code>${client.id}</code></td>
<td>${client.appType}</td>
<td>${when(client.createdAt)}</td>
<td>${when(client.lastUsedAt)}</td>
<td><form class="inline" method="post" action="/console/operator/documents/delete">${csrfField(view.csrf)}<input type="hidden" name="client_id" value="${client.id}"><button type="submit" class="danger" aria-label="${m('operator.delete')} ${client.name}">${m('operator.delete')}</button></form></td>
</tr>`,
  );
  const resources = view.resources.map(
    (resource) => html`<tr data-testid="registered-resource">
<td>${resource.name}</td>
<td><code>${resource.uri}</code></td>
<td>${resource.scopes.join(' ')}</td>
</tr>`,
  );
  const body = html`${view.deleted ? html`<p class="notice" role="status" data-testid="operator-deleted">${m('operator.deleted')}</p>` : ''}
<h2>${m('operator.registered.heading')}</h2>
<p>${m('operator.registered.intro', { days: view.unusedClientDays })}</p>
${
  view.registered.length === 0
    ? html`<p data-testid="registered-empty">${m('operator.registered.empty')}</p>`
    : html`<table>
<thead><tr><th scope="col">${m('operator.name')}</th><th scope="col">${m('operator.clientId')}</th><th scope="col">${m('operator.type')}</th><th scope="col">${m('operator.created')}</th><th scope="col">${m('operator.lastUsed')}</th><th scope="col"><span class="visually-hidden">${m('operator.delete')}</span></th></tr></thead>
<tbody>${apps}</tbody>
</table>`
}
<h2>${m('operator.documents.heading')}</h2>
<p>${m('operator.documents.intro')}</p>
${
  view.documents.length === 0
    ? html`<p data-testid="documents-empty">${m('operator.documents.empty')}</p>`
    : html`<table>
<thead><tr><th scope="col">${m('operator.name')}</th><th scope="col">${m('operator.documents.url')}</th><th scope="col">${m('operator.type')}</th><th scope="col">${m('operator.documents.firstSeen')}</th><th scope="col">${m('operator.lastUsed')}</th><th scope="col"><span class="visually-hidden">${m('operator.delete')}</span></th></tr></thead>
<tbody>${documents}</tbody>
</table>`
}
<h2>${m('operator.resources.heading')}</h2>
<p>${m('operator.resources.intro')}</p>
${
  view.resources.length === 0
    ? html`<p data-testid="resources-empty">${m('operator.resources.empty')}</p>`
    : html`<table>
<thead><tr><th scope="col">${m('operator.name')}</th><th scope="col">${m('operator.uri')}</th><th scope="col">${m('operator.scopes')}</th></tr></thead>
<tbody>${resources}</tbody>
</table>`
}`;
  return layout({ ...view, title: m('operator.title'), body });
}
