import { format, translator, type Catalogue, type Locale, type Params } from '../../i18n/negotiate.ts';

// The words of Connect's own pages (./pages.ts), in English and Simplified Chinese. Connect keeps
// its own small catalogue rather than the provider's (src/i18n/en.ts): a website using Connect
// loads none of the provider's pages or words.

const en = {
  'title.failed': 'Logging in did not work',
  'title.last_login_method': 'You cannot remove your only way to log in',
  'title.not_found': 'This login is not bound to your account',
  'title.not_signed_in': 'Please log in first',
  'title.cross_site': 'This form came from another site',
  'title.invalid_input': 'This request could not be read',
  'title.too_many_signups': 'Too many new accounts',
  'title.signup_failed': 'The account was not created',
  'title.identity_taken': 'This login belongs to another account',
  'title.no_pending_login': 'There is no login to finish',
  'pending.title': 'Finish logging in with {provider}',
  'pending.intro': 'You are logged in at {provider} as {name}, and this site does not know you yet.',
  'pending.introAnonymous': 'You are logged in at {provider}, and this site does not know you yet.',
  'pending.create': 'Create a new account',
  'pending.createHint': 'A new account on this site, which you log in to with {provider}.',
  'pending.bind': 'Bind to an account I have',
  'pending.bindHint': 'Log in with your password on this site once; from then on {provider} logs you in too.',
  'pending.cancel': 'Cancel and go to the home page',
  'field.username': 'Username',
  'field.usernameHint': '3 to 32 letters, digits, dots, dashes or underscores.',
  'field.displayName': 'Display name',
  'field.password': 'Password',
  'button.create': 'Create account',
  'button.bind': 'Log in and bind',
  'error.backHome': 'Back to the home page',
  'error.back': 'Back',
  'error.code': 'Error code: {code}',
} as const;

export type ConnectMessageKey = keyof typeof en;

const zhCN: Catalogue<ConnectMessageKey> = {
  'title.failed': '登录没有成功',
  'title.last_login_method': '不能解除你唯一的登录方式',
  'title.not_found': '这个登录方式没有绑定到你的账号',
  'title.not_signed_in': '请先登录',
  'title.cross_site': '这个表单来自其他网站',
  'title.invalid_input': '无法读取这个请求',
  'title.too_many_signups': '新建的账号太多',
  'title.signup_failed': '账号没有创建',
  'title.identity_taken': '这个登录方式属于另一个账号',
  'title.no_pending_login': '没有需要完成的登录',
  'pending.title': '完成 {provider} 登录',
  'pending.intro': '你已在 {provider} 以 {name} 的身份登录，本网站还不认识你。',
  'pending.introAnonymous': '你已在 {provider} 登录，本网站还不认识你。',
  'pending.create': '创建新账号',
  'pending.createHint': '在本网站新建一个账号，以后用 {provider} 登录它。',
  'pending.bind': '绑定到我已有的账号',
  'pending.bindHint': '用你在本网站的密码登录一次；以后 {provider} 也能让你登录。',
  'pending.cancel': '取消，回到首页',
  'field.username': '用户名',
  'field.usernameHint': '3 到 32 个字母、数字、点、短横线或下划线。',
  'field.displayName': '显示名称',
  'field.password': '密码',
  'button.create': '创建账号',
  'button.bind': '登录并绑定',
  'error.backHome': '回到首页',
  'error.back': '返回',
  'error.code': '错误代码：{code}',
};

export const connectText = translator<ConnectMessageKey>({ en, 'zh-CN': zhCN });

/**
 * Every code Connect's pages may be shown with. English pages show Connect's own message, which
 * may hold details (which check failed); another language words each code itself, from the
 * values in `params`, so that no page mixes two languages.
 */
export type ConnectCode =
  | 'access_denied' | 'provider_error' | 'login_failed'
  | 'unknown_state' | 'missing_state' | 'browser_mismatch' | 'expired_state' | 'provider_mismatch'
  | 'link_session_ended' | 'missing_code' | 'missing_issuer' | 'issuer_mismatch' | 'unknown_provider'
  | 'identity_taken' | 'no_pending_login' | 'ticket_invalid' | 'not_signed_in' | 'cross_site' | 'invalid_input'
  | 'too_many_signups' | 'username_taken' | 'invalid_field.username' | 'invalid_field.displayName' | 'invalid_field.password'
  | 'invalid_credentials' | 'invalid_credentials.locked' | 'last_login_method' | 'not_found';

const codeMessages: Record<Exclude<Locale, 'en'>, Record<ConnectCode, string>> = {
  'zh-CN': {
    access_denied: '你没有允许 {provider} 让你在本网站登录。',
    provider_error: '{provider} 拒绝了这次登录（{providerError}）。请再试一次。',
    login_failed: '通过 {provider} 登录没有成功。请稍后再试。',
    unknown_state: '这个登录链接在这里无效：它已经用过、已过期，或不是在这里开始的。请重新登录。',
    missing_state: '这个登录链接不完整。请重新登录。',
    browser_mismatch: '这次登录是在另一个浏览器里开始的。请在这个浏览器里重新登录。',
    expired_state: '这次登录用了十分钟以上。请重新登录。',
    provider_mismatch: '这个登录链接属于另一个登录方式。请重新登录。',
    link_session_ended: '绑定 {provider} 没有完成：你在绑定完成前退出了登录。请登录后再绑定一次。',
    missing_code: '{provider} 返回的登录结果不完整。请重新登录。',
    missing_issuer: '{provider} 返回的登录结果没有说明来源。请重新登录。',
    issuer_mismatch: '这个登录结果不是来自 {provider}。请重新登录。',
    unknown_provider: '本网站没有名为“{provider}”的登录方式。',
    identity_taken: '这个 {provider} 账号已绑定到本网站的另一个账号，并会留在那里。',
    no_pending_login: '这个浏览器里没有等待完成的登录，或者它已经过期。请重新登录。',
    ticket_invalid: '这次注册已过期或已经用过。请重新登录。',
    not_signed_in: '请先登录。',
    cross_site: '这个表单是从其他网站发送的，所以没有处理。',
    invalid_input: '请求中有一个字段含有不接受的字符，或者太长。',
    too_many_signups: '你所在的网络新建的账号太多。请 {minutes} 分钟后再试。',
    username_taken: '这个用户名已被使用，请换一个。什么都没有创建。',
    'invalid_field.username': '用户名为 3 到 32 个字母、数字、点、短横线或下划线。',
    'invalid_field.displayName': '显示名称为 1 到 100 个字符。',
    'invalid_field.password': '密码至少 8 个字符。',
    invalid_credentials: '用户名或密码不对。',
    'invalid_credentials.locked': '密码错误的次数太多。请 {minutes} 分钟后再试。',
    last_login_method: '这是你唯一的登录方式。请先设置密码或绑定另一个登录方式，再解除它。',
    not_found: '这个登录方式没有绑定到你的账号。',
  },
};

/** What a failure's message holds besides its code, for wording it in any language. */
export interface MessageParams {
  /** The provider's name (or, for unknown_provider, the id asked for). */
  provider?: string;
  /** The provider's own error code (invalid_client, 40029, …). */
  providerError?: string;
  /** Seconds until another attempt is let through. */
  retryAfter?: number;
  /** The form field that was refused (username, displayName, password). */
  field?: string;
}

/** The message for a page in `locale`: Connect's own English words, or the language's wording of the code. */
export function pageMessage(locale: Locale, code: string, englishMessage: string, params: MessageParams = {}): string {
  if (locale === 'en') return englishMessage;
  const messages = codeMessages[locale];
  const key = messageKey(code, params);
  const values: Params = {
    provider: params.provider ?? '',
    providerError: params.providerError ?? '',
    minutes: Math.max(1, Math.ceil((params.retryAfter ?? 60) / 60)),
  };
  if (key) return format(messages[key], values);
  // A failure of our own checks or of the provider (unreachable, a malformed answer): its details
  // are for the site's log; the person is told that logging in with the provider did not work.
  return params.provider ? format(messages.login_failed, values) : englishMessage;
}

function messageKey(code: string, params: MessageParams): ConnectCode | undefined {
  if (code === 'invalid_field') return params.field === 'displayName' || params.field === 'password' ? `invalid_field.${params.field}` : 'invalid_field.username';
  if (code === 'invalid_credentials' && params.retryAfter !== undefined) return 'invalid_credentials.locked';
  return Object.hasOwn(codeMessages['zh-CN'], code) ? (code as ConnectCode) : undefined;
}

/** The page title that fits a failure: the unbinding and sign-up refusals are not failed logins. */
export function titleKey(code: string): ConnectMessageKey {
  switch (code) {
    case 'last_login_method':
    case 'not_found':
    case 'not_signed_in':
    case 'cross_site':
    case 'invalid_input':
    case 'too_many_signups':
    case 'identity_taken':
    case 'no_pending_login':
      return `title.${code}`;
    case 'username_taken':
    case 'invalid_field':
      return 'title.signup_failed';
    default:
      return 'title.failed';
  }
}
