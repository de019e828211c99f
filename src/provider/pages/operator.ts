import { translator, type Catalogue } from '../../i18n/index.ts';
import type { Client, Resource } from '../storage.ts';
import { csrfField, formatDate, html, layout, type Html, type PageBasics } from './html.ts';

// /console/operator: what no person owns, for the provider's operators (console.operators): the apps
// that registered themselves (RFC 7591) and those known by their metadata document, each deletable,
// and the registered APIs (RFC 8707), which the "Register an API" form adds to and each API's own
// page (/console/operator/resources/:id) changes, as grantry resource does. Its own small
// catalogue, as the audit page keeps one.

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
  'operator.resources.intro': 'The APIs tokens may be issued for (RFC 8707). Register and change them here or with grantry resource; every instance uses a change within {seconds} s (clientCacheSeconds).',
  'operator.resources.empty': 'No API is registered.',
  'operator.uri': 'URI',
  'operator.scopes': 'Scopes',
  'operator.resources.lifetime': 'Token lifetime',
  'operator.resources.lifetimeDefault': 'default',
  'operator.resources.seconds': '{seconds} s',
  'operator.resources.format': 'Token format',
  'operator.resources.edit': 'Edit',
  'operator.resources.registered': 'The API was registered: tokens asked for with its URI as resource are for it.',
  'operator.register.heading': 'Register an API',
  'operator.register.submit': 'Register the API',
  'operator.field.uri': 'URI',
  'operator.field.uriHint': 'The API as apps name it in resource: https (http only on a loopback host), without query or fragment. It becomes the audience (aud) of the tokens for it, and cannot be changed afterwards.',
  'operator.field.name': 'Name',
  'operator.field.nameHint': 'Shown to people on the consent page.',
  'operator.field.scopes': 'Scopes',
  'operator.field.scopesHint': 'Separated by spaces, for example tools:read tools:call. A scope belongs to one API only, and none of the provider\'s own scopes can be an API\'s.',
  'operator.field.lifetime': 'Access-token lifetime (seconds)',
  'operator.field.lifetimeHint': 'Empty: the provider\'s access-token lifetime.',
  'operator.field.format': 'Access-token format',
  'operator.field.formatHint': 'An API that takes opaque tokens needs credentials of its own to ask the introspection endpoint about them.',
  'operator.format.jwt': 'JWT: the API verifies it with the issuer\'s keys',
  'operator.format.opaque': 'Opaque: the API asks the issuer about it (introspection)',
  'operator.edit.title': 'API: {name}',
  'operator.edit.uriFixed': 'The URI is the audience of this API\'s tokens and stays as registered. To serve the API at another URI, register that URI as a new API.',
  'operator.edit.submit': 'Save',
  'operator.edit.saved': 'Saved. Every instance uses the change within {seconds} s (clientCacheSeconds).',
  'operator.edit.back': 'Back to the operator page',
  'operator.signInAgain': 'Registering or changing an API changes what tokens say for every app, so it needs a sign-in from the last {minutes} minutes.',
  'operator.signInAgain.link': 'Sign in again',
  'operator.error.signInAgain': 'Sign in again to register or change an API: your sign-in is more than {minutes} minutes old. Nothing was saved.',
  'operator.error.resource_uri': '"{value}" is not an API URI: an absolute https URL (http only on a loopback host), written as apps send it, without query, fragment or user name.',
  'operator.error.resource_uri_issuer': '{value} is this provider itself: tokens asked for without resource are for it already.',
  'operator.error.resource_uri_taken': 'An API with the URI {value} is registered already.',
  'operator.error.resource_uri_too_long': 'An API URI is at most {max} characters.',
  'operator.error.resource_name': 'Give the API a name of at most 100 characters.',
  'operator.error.resource_scope': '"{value}" is not a scope name: printable characters without spaces, double quotes or backslashes.',
  'operator.error.resource_scope_provider': '"{value}" is one of this provider\'s own scopes; an API\'s scopes are its own.',
  'operator.error.resource_scope_taken': 'The scope "{value}" belongs to another API already ({owner}).',
  'operator.error.resource_scope_too_many': 'An API has at most {max} scopes, each at most {length} characters.',
  'operator.error.resource_lifetime': 'The access-token lifetime is a whole number of seconds from 1 to 999999999, or empty for the provider\'s.',
  'operator.error.resource_token_format': 'The access-token format is JWT or opaque.',
  'operator.error.invalid': 'The API could not be saved as entered.',
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
  'operator.resources.intro': '可以为其发放令牌的 API（RFC 8707）。可在此处或用 grantry resource 命令注册和修改；修改在 {seconds} 秒（clientCacheSeconds）内对所有实例生效。',
  'operator.resources.empty': '还没有注册任何 API。',
  'operator.uri': 'URI',
  'operator.scopes': '权限范围',
  'operator.resources.lifetime': '令牌有效期',
  'operator.resources.lifetimeDefault': '默认',
  'operator.resources.seconds': '{seconds} 秒',
  'operator.resources.format': '令牌格式',
  'operator.resources.edit': '修改',
  'operator.resources.registered': 'API 已注册：以其 URI 作为 resource 请求的令牌即发给它。',
  'operator.register.heading': '注册 API',
  'operator.register.submit': '注册 API',
  'operator.field.uri': 'URI',
  'operator.field.uriHint': '应用在 resource 参数中使用的 API 地址：https（仅本机回环地址可用 http），不含查询串和片段。它将成为令牌的受众（aud），注册后不可修改。',
  'operator.field.name': '名称',
  'operator.field.nameHint': '在授权页面上向用户显示。',
  'operator.field.scopes': '权限范围',
  'operator.field.scopesHint': '以空格分隔，例如 tools:read tools:call。一个权限范围只属于一个 API，且不能使用服务自身的权限范围。',
  'operator.field.lifetime': 'Access Token 有效期（秒）',
  'operator.field.lifetimeHint': '留空：使用服务默认的 Access Token 有效期。',
  'operator.field.format': 'Access Token 格式',
  'operator.field.formatHint': '接受不透明令牌的 API 需要自己的凭据，才能向令牌内省端点查询。',
  'operator.format.jwt': 'JWT：API 用签发方的公钥验证',
  'operator.format.opaque': '不透明令牌：API 向签发方查询（令牌内省）',
  'operator.edit.title': 'API：{name}',
  'operator.edit.uriFixed': 'URI 是此 API 令牌的受众，保持注册时的值不变。如需在另一个 URI 提供此 API，请将该 URI 注册为新的 API。',
  'operator.edit.submit': '保存',
  'operator.edit.saved': '已保存。修改在 {seconds} 秒（clientCacheSeconds）内对所有实例生效。',
  'operator.edit.back': '返回运营管理页面',
  'operator.signInAgain': '注册或修改 API 会改变所有应用所得令牌的内容，因此需要在最近 {minutes} 分钟内登录过。',
  'operator.signInAgain.link': '重新登录',
  'operator.error.signInAgain': '请重新登录后再注册或修改 API：你的登录已超过 {minutes} 分钟。未保存任何内容。',
  'operator.error.resource_uri': '“{value}”不是有效的 API URI：须为绝对的 https 地址（仅本机回环地址可用 http），按应用发送的形式书写，不含查询串、片段或用户名。',
  'operator.error.resource_uri_issuer': '{value} 是本服务自身：不带 resource 请求的令牌已经是发给它的。',
  'operator.error.resource_uri_taken': 'URI 为 {value} 的 API 已经注册。',
  'operator.error.resource_uri_too_long': 'API URI 最多 {max} 个字符。',
  'operator.error.resource_name': '请为 API 填写名称，最多 100 个字符。',
  'operator.error.resource_scope': '“{value}”不是有效的权限范围名称：只能使用可打印字符，不含空格、双引号或反斜杠。',
  'operator.error.resource_scope_provider': '“{value}”是本服务自身的权限范围；API 的权限范围须为其独有。',
  'operator.error.resource_scope_taken': '权限范围“{value}”已属于另一个 API（{owner}）。',
  'operator.error.resource_scope_too_many': '一个 API 最多 {max} 个权限范围，每个最多 {length} 个字符。',
  'operator.error.resource_lifetime': 'Access Token 有效期须为 1 到 999999999 之间的整数秒，或留空使用默认值。',
  'operator.error.resource_token_format': 'Access Token 格式只能是 JWT 或不透明令牌。',
  'operator.error.invalid': '无法按所填内容保存此 API。',
};

const t = translator<OperatorKey>({ en, 'zh-CN': zhCN });

export type { OperatorKey };

/** A message of this page's catalogue in the reader's language (the routes word the form's refusals with it). */
export const operatorMessage = (locale: PageBasics['locale'], key: OperatorKey, params?: Record<string, string | number>) => t(locale, key, params);

/** What an API form holds, as typed: shown again when it is refused. */
export interface ResourceFormValues {
  uri: string;
  name: string;
  /** Space-separated. */
  scopes: string;
  /** Seconds as typed; empty: the provider's lifetime. */
  lifetime: string;
  /** 'jwt' or 'opaque' (anything else a forged form sent is refused before it is shown). */
  tokenFormat: string;
}

export type ResourceField = 'uri' | 'name' | 'scopes' | 'lifetime' | 'token_format';

/** A refused API form: the message, in the reader's language, and the field it concerns. */
export interface ResourceFormProblem {
  message: string;
  field?: ResourceField;
}

export const emptyResourceForm: ResourceFormValues = { uri: '', name: '', scopes: '', lifetime: '', tokenFormat: 'jwt' };

/** A registered API's values as its edit form shows them. */
export function resourceFormValues(resource: Resource): ResourceFormValues {
  return { uri: resource.uri, name: resource.name, scopes: resource.scopes.join(' '), lifetime: resource.accessTokenLifetime === null ? '' : String(resource.accessTokenLifetime), tokenFormat: resource.tokenFormat };
}

/** What both API forms say when the sign-in is too old, set only then. */
export interface SignInAgain {
  minutes: number;
  /** Where the login comes back to. */
  returnTo: string;
}

export interface OperatorPageView extends PageBasics {
  registered: Client[];
  /** Apps known by their client ID metadata document (origin 'document'). */
  documents: Client[];
  resources: Resource[];
  unusedClientDays: number;
  deleted: boolean;
  /** The "Register an API" form: empty, or as typed when it was refused. */
  resourceForm?: { values: ResourceFormValues; problem?: ResourceFormProblem };
  /** An API was just registered (after the redirect). */
  resourceRegistered?: boolean;
  /** How soon a change reaches every instance (clientCacheSeconds). */
  cacheSeconds?: number;
  signInAgain?: SignInAgain;
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
    (resource) => html`<tr data-testid="registered-resource" data-resource-id="${resource.id}">
<td><a href="/console/operator/resources/${encodeURIComponent(resource.id)}">${resource.name}</a></td>
<td><code>${resource.uri}</code></td>
<td>${resource.scopes.join(' ')}</td>
<td>${resource.accessTokenLifetime === null ? m('operator.resources.lifetimeDefault') : m('operator.resources.seconds', { seconds: resource.accessTokenLifetime })}</td>
<td>${resource.tokenFormat === 'opaque' ? 'opaque' : 'JWT'}</td>
<td><a href="/console/operator/resources/${encodeURIComponent(resource.id)}" aria-label="${m('operator.resources.edit')} ${resource.name}">${m('operator.resources.edit')}</a></td>
</tr>`,
  );
  const form = view.resourceForm ?? { values: emptyResourceForm };
  const body = html`${view.deleted ? html`<p class="notice" role="status" data-testid="operator-deleted">${m('operator.deleted')}</p>` : ''}
${view.resourceRegistered ? html`<p class="notice" role="status" data-testid="resource-registered">${m('operator.resources.registered')}</p>` : ''}
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
<h2 id="resources">${m('operator.resources.heading')}</h2>
<p>${m('operator.resources.intro', { seconds: view.cacheSeconds ?? 0 })}</p>
${
  view.resources.length === 0
    ? html`<p data-testid="resources-empty">${m('operator.resources.empty')}</p>`
    : html`<table>
<thead><tr><th scope="col">${m('operator.name')}</th><th scope="col">${m('operator.uri')}</th><th scope="col">${m('operator.scopes')}</th><th scope="col">${m('operator.resources.lifetime')}</th><th scope="col">${m('operator.resources.format')}</th><th scope="col"><span class="visually-hidden">${m('operator.resources.edit')}</span></th></tr></thead>
<tbody>${resources}</tbody>
</table>`
}
<h3 id="register-resource">${m('operator.register.heading')}</h3>
${problemBox(form.problem)}
${signInAgainHint(m, view.signInAgain)}
<form method="post" action="/console/operator/resources" class="card" data-testid="register-resource-form">
${csrfField(view.csrf)}
${resourceFields(m, form.values, form.problem, true)}
<button type="submit" class="primary">${m('operator.register.submit')}</button>
</form>`;
  return layout({ ...view, title: m('operator.title'), body });
}

type Words = (key: OperatorKey, params?: Record<string, string | number>) => string;

function problemBox(problem: ResourceFormProblem | undefined): Html | '' {
  return problem ? html`<p class="box error" role="alert" data-testid="error">${problem.message}</p>` : '';
}

function signInAgainHint(m: Words, signInAgain: SignInAgain | undefined): Html | '' {
  if (!signInAgain) return '';
  return html`<p class="hint" data-testid="sign-in-again">${m('operator.signInAgain', { minutes: signInAgain.minutes })} <a href="/login?return_to=${encodeURIComponent(signInAgain.returnTo)}" data-testid="sign-in-again-link">${m('operator.signInAgain.link')}</a></p>`;
}

/**
 * The fields of an API: the URI only when registering (afterwards it is the tokens' audience and
 * stays), then name, scopes, lifetime and token format; the refused field marked for assistive technology.
 */
function resourceFields(m: Words, values: ResourceFormValues, problem: ResourceFormProblem | undefined, withUri: boolean): Html {
  const field = (name: ResourceField, label: string, hint: string, control: (describedBy: Html) => Html) => {
    const invalid = problem?.field === name;
    const describedBy = html` aria-describedby="${name}-hint${invalid ? ` ${name}-error` : ''}"${invalid ? html` aria-invalid="true"` : ''}`;
    return html`<label for="${name}">${label}</label>
${control(describedBy)}
${invalid ? html`<p class="field-error" id="${name}-error" data-testid="${name}-error">${problem!.message}</p>` : ''}
<p class="hint" id="${name}-hint">${hint}</p>`;
  };
  const format = (value: 'jwt' | 'opaque') => html`<option value="${value}"${values.tokenFormat === value ? html` selected` : ''}>${m(value === 'jwt' ? 'operator.format.jwt' : 'operator.format.opaque')}</option>`;
  return html`${withUri ? field('uri', m('operator.field.uri'), m('operator.field.uriHint'), (aria) => html`<input type="url" id="uri" name="uri" value="${values.uri}" required spellcheck="false" autocapitalize="off" placeholder="https://api.example.com/mcp"${aria}>`) : ''}
${field('name', m('operator.field.name'), m('operator.field.nameHint'), (aria) => html`<input type="text" id="name" name="name" value="${values.name}" maxlength="100" required${aria}>`)}
${field('scopes', m('operator.field.scopes'), m('operator.field.scopesHint'), (aria) => html`<input type="text" id="scopes" name="scopes" value="${values.scopes}" spellcheck="false" autocapitalize="off" placeholder="tools:read tools:call"${aria}>`)}
${field('lifetime', m('operator.field.lifetime'), m('operator.field.lifetimeHint'), (aria) => html`<input type="number" id="lifetime" name="access_token_lifetime" value="${values.lifetime}" min="1" max="999999999" step="1" inputmode="numeric"${aria}>`)}
${field('token_format', m('operator.field.format'), m('operator.field.formatHint'), (aria) => html`<select id="token_format" name="token_format"${aria}>${format('jwt')}${format('opaque')}</select>`)}`;
}

export interface ResourcePageView extends PageBasics {
  resource: Resource;
  /** The form's values: the API as stored, or what was typed when it was refused. */
  values: ResourceFormValues;
  problem?: ResourceFormProblem;
  saved?: boolean;
  cacheSeconds: number;
  signInAgain?: SignInAgain;
}

/** /console/operator/resources/:id: one API's settings; its URI shown, not editable. */
export function resourcePage(view: ResourcePageView): string {
  const m: Words = (key, params) => t(view.locale, key, params);
  const { resource } = view;
  const path = `/console/operator/resources/${encodeURIComponent(resource.id)}`;
  const body = html`<p><a href="/console/operator#resources">${m('operator.edit.back')}</a></p>
${view.saved ? html`<p class="box notice" role="status" data-testid="notice">${m('operator.edit.saved', { seconds: view.cacheSeconds })}</p>` : ''}
${problemBox(view.problem)}
${signInAgainHint(m, view.signInAgain)}
<form method="post" action="${path}" class="card" data-testid="edit-resource-form">
${csrfField(view.csrf)}
<p><strong>${m('operator.field.uri')}</strong>: <code data-testid="resource-uri">${resource.uri}</code></p>
<p class="hint" data-testid="uri-fixed">${m('operator.edit.uriFixed')}</p>
${resourceFields(m, view.values, view.problem, false)}
<button type="submit" class="primary">${m('operator.edit.submit')}</button>
</form>`;
  return layout({ ...view, title: m('operator.edit.title', { name: resource.name }), body });
}
