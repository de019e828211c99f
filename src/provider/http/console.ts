import { isOperator } from './console-operator.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appTypes, type AppType, type GrantType, type TokenFormat } from '../../config/defaults.ts';
import type { Client, ClientPatch, IdTokenAlgorithm, SubjectType, User } from '../storage.ts';
import type { ProviderContext } from '../context.ts';
import { fieldPresent, formFlag, formLines, formList, formText } from '../pages/html.ts';
import { appPage, consolePage, deleteAppPage, newAppPage, type AppView, type FormProblem, type NewAppValues } from '../pages/console.ts';
import { t, type Locale, type MessageKey } from '../../i18n/index.ts';
import { deleteClient, isConfidential, ownerRefusal, registerClient, RegistrationError, rotateClientSecret, sensitiveChanges, updateClient, type SensitiveChange } from '../protocol/clients.ts';
import { localeOf, pageBasics, passesCsrf, requireUser, sendNotFound, sendPage } from './login.ts';
import { carrySecret, takeCarriedSecret } from './secret-once.ts';
import { currentSignIn } from './session.ts';

// The developer console (the seed's developer platform): an app's basic information holds its App
// Key and App Secret, its advanced settings the callback URLs and the rest. Thin routes over
// ../protocol/clients.ts, which holds the rules; an owner can never make an app `trusted`.

const maxRedirectUris = 20;
const maxDescriptionLength = 1000;

export async function consoleRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  app.get('/console', async (request, reply) => {
    const user = await requireUser(ctx, request, reply, '/console');
    if (!user) return reply;
    const clients = await ctx.store.clients.list(user.id);
    const counts = await ctx.store.grants.countAuthorizedUsers(clients.map((c) => c.id));
    const apps = clients.map((client) => ({ client, users: counts.get(client.id) ?? 0 }));
    const notice = formText(request.query, 'deleted') ? t(localeOf(request), 'console.deleted') : undefined;
    return sendPage(reply, consolePage({ ...(await pageBasics(ctx, request, reply)), user, apps, notice, operator: isOperator(ctx, user) }));
  });

  app.get('/console/apps/new', async (request, reply) => {
    const user = await requireUser(ctx, request, reply, '/console/apps/new');
    if (!user) return reply;
    const values: NewAppValues = { name: '', description: '', homepage: '', appType: '', redirectUris: '' };
    return sendPage(reply, newAppPage({ ...(await pageBasics(ctx, request, reply)), user, values }));
  });

  app.post('/console/apps/new', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const user = await requireUser(ctx, request, reply, '/console/apps/new');
    if (!user) return reply;
    const values = newAppValues(request.body);
    const basics = await pageBasics(ctx, request, reply);
    try {
      const { client, clientSecret } = await registerClient(ctx.store, ctx.config, registrationOf(values, user));
      ctx.audit.record({ event: 'app_created', clientId: client.id, userId: user.id, ip: request.ip, detail: { app_type: client.appType } });
      // Redirect after the POST: a reload of the next page cannot register the app twice.
      if (clientSecret) carrySecret(ctx, reply, client.id, clientSecret);
      return reply.redirect(`/console/apps/${client.id}?registered=1`, 303);
    } catch (error) {
      if (!(error instanceof RegistrationError)) throw error;
      return sendPage(reply, newAppPage({ ...basics, user, values, problem: problemOf(basics.locale, error) }), 400);
    }
  });

  app.get('/console/apps/:id', async (request, reply) => {
    const owned = await ownedApp(ctx, request, reply);
    if (!owned) return reply;
    const locale = localeOf(request);
    const notice = formText(request.query, 'registered')
      ? t(locale, 'console.registered', { key: owned.client.id })
      : formText(request.query, 'rotated')
        ? t(locale, 'console.rotated')
        : formText(request.query, 'saved')
          ? t(locale, 'console.saved')
          : undefined;
    const newSecret = takeCarriedSecret(ctx, request, reply, owned.client.id);
    return sendPage(reply, appPage(await appPageView(ctx, request, reply, owned, { notice, newSecret, signInAgain: (await signedInRecently(ctx, request)) ? undefined : signInAgain(ctx) })));
  });

  app.post('/console/apps/:id/basic', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const owned = await ownedApp(ctx, request, reply);
    if (!owned) return reply;
    const patch: ClientPatch = {
      name: formText(request.body, 'name').trim(),
      description: formText(request.body, 'description').trim(),
      homepage: formText(request.body, 'homepage').trim(),
    };
    return saveSettings(ctx, request, reply, owned, patch);
  });

  app.post('/console/apps/:id/advanced', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const owned = await ownedApp(ctx, request, reply);
    if (!owned) return reply;
    const patch = advancedPatch(owned.client, request.body);
    const changes = sensitiveChanges(owned.client, patch);
    if (changes.length > 0 && !(await signedInRecently(ctx, request))) {
      return refuseWithoutFreshSignIn(ctx, request, reply, owned, changes, { ...owned.client, ...patch });
    }
    return saveSettings(ctx, request, reply, owned, patch);
  });

  app.post('/console/apps/:id/rotate-secret', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const owned = await ownedApp(ctx, request, reply);
    if (!owned) return reply;
    if (!isConfidential(owned.client)) {
      const problem = { message: t(localeOf(request), 'console.error.publicNoSecret') };
      return sendPage(reply, appPage(await appPageView(ctx, request, reply, owned, { problem })), 400);
    }
    if (!(await signedInRecently(ctx, request))) return refuseWithoutFreshSignIn(ctx, request, reply, owned, ['secret_rotated']);
    const newSecret = await rotateClientSecret(ctx.store, owned.client.id);
    ctx.audit.record({ event: 'app_secret_rotated', clientId: owned.client.id, userId: owned.user.id, ip: request.ip });
    // Redirect after the POST: a reload of the next page cannot rotate the secret again.
    carrySecret(ctx, reply, owned.client.id, newSecret);
    return reply.redirect(`/console/apps/${owned.client.id}?rotated=1`, 303);
  });

  app.get('/console/apps/:id/delete', async (request, reply) => {
    const owned = await ownedApp(ctx, request, reply);
    if (!owned) return reply;
    return sendPage(reply, deleteAppPage(await deleteView(ctx, request, reply, owned, {})));
  });

  app.post('/console/apps/:id/delete', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const owned = await ownedApp(ctx, request, reply);
    if (!owned) return reply;
    const locale = localeOf(request);
    if (!(await signedInRecently(ctx, request))) {
      ctx.audit.record({ event: 'app_change_refused', clientId: owned.client.id, userId: owned.user.id, ip: request.ip, detail: { changes: ['app_deleted'], reason: 'sign_in_too_old' } });
      return sendPage(reply, deleteAppPage(await deleteView(ctx, request, reply, owned, { problem: t(locale, 'console.error.signInAgain') })), 403);
    }
    // The app's name typed again: a deletion cannot be undone, and this one is not a slip.
    if (formText(request.body, 'confirm_name').trim() !== owned.client.name) {
      return sendPage(reply, deleteAppPage(await deleteView(ctx, request, reply, owned, { problem: t(locale, 'delete.error.name') })), 400);
    }
    await deleteClient(ctx.store, owned.client.id);
    ctx.audit.record({ event: 'app_deleted', clientId: owned.client.id, userId: owned.user.id, ip: request.ip, detail: { name: owned.client.name } });
    return reply.redirect('/console?deleted=1', 303);
  });
}

async function deleteView(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, owned: OwnedApp, extra: { problem?: string }) {
  const counts = await ctx.store.grants.countAuthorizedUsers([owned.client.id]);
  const fresh = await signedInRecently(ctx, request);
  return { ...(await pageBasics(ctx, request, reply)), user: owned.user, client: owned.client, authorizedUsers: counts.get(owned.client.id) ?? 0, signInAgain: fresh ? undefined : signInAgain(ctx), ...extra };
}

interface OwnedApp {
  user: User;
  client: Client;
}

/** The signed-in user and their app named in the URL; someone else's app is as absent as a missing one. */
async function ownedApp(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply): Promise<OwnedApp | null> {
  const id = (request.params as { id?: string }).id ?? '';
  const user = await requireUser(ctx, request, reply, `/console/apps/${encodeURIComponent(id)}`);
  if (!user) return null;
  const client = isPlausibleId(id) ? await ctx.store.clients.find(id) : undefined;
  if (!client || client.ownerId !== user.id) {
    await sendNotFound(ctx, request, reply, 'console.error.noSuchApp');
    return null;
  }
  return { user, client };
}

/** Whether this browser's sign-in is recent enough for a sensitive change (login.reauthenticationSeconds); the operator page's API forms ask it too. */
export async function signedInRecently(ctx: ProviderContext, request: FastifyRequest): Promise<boolean> {
  const signIn = await currentSignIn(ctx, request);
  return signIn !== null && Math.floor(Date.now() / 1000) - signIn.signedInAt <= ctx.config.login.reauthenticationSeconds;
}

const signInAgain = (ctx: ProviderContext) => ({ minutes: Math.max(1, Math.round(ctx.config.login.reauthenticationSeconds / 60)) });

/**
 * A sensitive change asked for with an old sign-in: nothing is saved; the page keeps what was
 * entered and asks the person to sign in again (403). The owner sees the attempt in the audit trail.
 */
async function refuseWithoutFreshSignIn(
  ctx: ProviderContext,
  request: FastifyRequest,
  reply: FastifyReply,
  owned: OwnedApp,
  changes: SensitiveChange[],
  draft?: Client,
) {
  ctx.audit.record({ event: 'app_change_refused', clientId: owned.client.id, userId: owned.user.id, ip: request.ip, detail: { changes, reason: 'sign_in_too_old' } });
  const problem = { message: t(localeOf(request), 'console.error.signInAgain') };
  return sendPage(reply, appPage(await appPageView(ctx, request, reply, owned, { draft, problem, signInAgain: signInAgain(ctx) })), 403);
}

/** Ids are short printable text; anything else (a NUL byte, which PostgreSQL refuses) is no app at all. */
function isPlausibleId(id: string): boolean {
  return id.length > 0 && id.length <= 200 && /^[\x21-\x7e]+$/.test(id);
}

async function saveSettings(ctx: ProviderContext, request: FastifyRequest, reply: FastifyReply, owned: OwnedApp, patch: ClientPatch) {
  const { client, user } = owned;
  const problem = settingsProblem(patch) ?? ownerRefusal(client, patch);
  try {
    if (problem) throw problem;
    await updateClient(ctx.store, ctx.config, client.id, patch);
  } catch (error) {
    if (!(error instanceof RegistrationError)) throw error;
    const draft = { ...client, ...patch } as Client;
    return sendPage(reply, appPage(await appPageView(ctx, request, reply, owned, { draft, problem: problemOf(localeOf(request), error) })), 400);
  }
  ctx.audit.record({ event: 'app_updated', clientId: client.id, userId: user.id, ip: request.ip, detail: { fields: Object.keys(patch) } });
  return reply.redirect(`/console/apps/${client.id}?saved=1`, 303);
}

/** The limits the console adds to the registration rules, for what a form can carry. */
function settingsProblem(patch: ClientPatch): RegistrationError | undefined {
  if (patch.description !== undefined && patch.description.length > maxDescriptionLength) {
    return new RegistrationError(`a description is at most ${maxDescriptionLength} characters`, 'description_too_long');
  }
  if (patch.redirectUris && patch.redirectUris.length > maxRedirectUris) {
    return new RegistrationError(`an app has at most ${maxRedirectUris} redirect URIs`, 'redirect_uri_too_many');
  }
  if (patch.scopes && patch.scopes.length === 0) return new RegistrationError('choose at least one scope', 'scope_none');
  return undefined;
}

/** Each refusal's catalogue message and the field it concerns; an unknown code gets a general message. */
const problemKeys: Record<string, { key: MessageKey; field?: FormProblem['field'] }> = {
  name_missing: { key: 'console.error.name_missing', field: 'name' },
  name_too_long: { key: 'console.error.name_too_long', field: 'name' },
  app_type: { key: 'console.error.app_type' },
  homepage: { key: 'console.error.homepage', field: 'homepage' },
  description_too_long: { key: 'console.error.description_too_long', field: 'description' },
  scope_none: { key: 'console.error.scope_none', field: 'scopes' },
  scope_unknown: { key: 'console.error.scope_unknown', field: 'scopes' },
  token_format: { key: 'console.error.token_format' },
  post_logout_redirect_uri: { key: 'console.error.post_logout_redirect_uri', field: 'post_logout_redirect_uris' },
  id_token_alg: { key: 'console.error.id_token_alg' },
  backchannel_logout_uri: { key: 'console.error.backchannel_logout_uri', field: 'backchannel_logout_uri' },
  subject_type: { key: 'console.error.subject_type', field: 'subject_type' },
  subject_type_sector: { key: 'console.error.subject_type_sector', field: 'subject_type' },
  redirect_uri_sector: { key: 'console.error.redirect_uri_sector', field: 'redirect_uris' },
  redirect_uri_none: { key: 'console.error.redirect_uri_none', field: 'redirect_uris' },
  redirect_uri_too_many: { key: 'console.error.redirect_uri_too_many', field: 'redirect_uris' },
  redirect_uri_not_absolute: { key: 'console.error.redirect_uri_not_absolute', field: 'redirect_uris' },
  redirect_uri_fragment: { key: 'console.error.redirect_uri_fragment', field: 'redirect_uris' },
  redirect_uri_http: { key: 'console.error.redirect_uri_http', field: 'redirect_uris' },
  redirect_uri_scheme: { key: 'console.error.redirect_uri_scheme', field: 'redirect_uris' },
  redirect_uri_credentials: { key: 'console.error.redirect_uri_credentials', field: 'redirect_uris' },
};

function problemOf(locale: Locale, error: RegistrationError): FormProblem {
  const known = Object.hasOwn(problemKeys, error.code) ? problemKeys[error.code]! : { key: 'console.error.invalid' as MessageKey };
  const message = t(locale, known.key, { value: error.value ?? '', max: error.code === 'redirect_uri_too_many' ? maxRedirectUris : maxDescriptionLength });
  return { message, ...(known.field ? { field: known.field } : {}) };
}

/**
 * What the advanced form may change. Only these fields are read: `trusted`, the grant types and
 * anything else a forged form might add are not the owner's to set.
 */
function advancedPatch(client: Client, body: unknown): ClientPatch {
  const patch: ClientPatch = {
    redirectUris: client.appType === 'service' ? client.redirectUris : unique(formLines(body, 'redirect_uris')),
    scopes: unique(formList(body, 'scopes')),
    // Public apps cannot turn PKCE off; the form shows the box checked and disabled, so it sends nothing.
    pkceRequired: isConfidential(client) ? formFlag(body, 'pkce_required') : true,
    tokenFormat: formText(body, 'token_format') as TokenFormat,
  };
  if (client.appType !== 'service') {
    // A form from before these fields existed sends neither: each is then left as it is.
    const alg = formText(body, 'id_token_alg');
    if (alg) patch.idTokenSignedResponseAlg = alg as IdTokenAlgorithm;
    if (fieldPresent(body, 'post_logout_redirect_uris')) patch.postLogoutRedirectUris = unique(formLines(body, 'post_logout_redirect_uris'));
    // Empty clears it. The sector identifier is not here: only an operator sets it (see Client.sectorIdentifier).
    if (fieldPresent(body, 'backchannel_logout_uri')) patch.backchannelLogoutUri = formText(body, 'backchannel_logout_uri')?.trim() ?? '';
    const subjectType = formText(body, 'subject_type');
    if (subjectType) patch.subjectType = subjectType as SubjectType;
  }
  if (client.appType === 'spa') patch.grantTypes = withGrant(client.grantTypes, 'implicit', formFlag(body, 'implicit'));
  return patch;
}

function withGrant(grants: GrantType[], grant: GrantType, on: boolean): GrantType[] {
  const others = grants.filter((g) => g !== grant);
  return on ? [...others, grant] : others;
}

function newAppValues(body: unknown): NewAppValues {
  return {
    name: formText(body, 'name').trim(),
    description: formText(body, 'description').trim(),
    homepage: formText(body, 'homepage').trim(),
    appType: formText(body, 'app_type'),
    redirectUris: formText(body, 'redirect_uris'),
  };
}

/** The registration a console form asks for; checked here as far as registerClient needs it to be. */
function registrationOf(values: NewAppValues, user: User) {
  if (!appTypes.includes(values.appType as AppType)) throw new RegistrationError('choose the type of your app', 'app_type');
  const problem = settingsProblem({ description: values.description, redirectUris: formLines({ r: values.redirectUris }, 'r') });
  if (problem) throw problem;
  const appType = values.appType as AppType;
  return {
    name: values.name,
    description: values.description,
    homepage: values.homepage,
    appType,
    redirectUris: appType === 'service' ? [] : unique(formLines({ r: values.redirectUris }, 'r')),
    ownerId: user.id,
  };
}

async function appPageView(
  ctx: ProviderContext,
  request: FastifyRequest,
  reply: FastifyReply,
  owned: OwnedApp,
  extra: Partial<AppView>,
): Promise<AppView> {
  const counts = await ctx.store.grants.countAuthorizedUsers([owned.client.id]);
  const since = Math.floor(Date.now() / 1000) - 24 * 3600;
  const tokensLastDay = await ctx.store.audit.count({ clientId: owned.client.id, event: 'token_issued', since });
  const basics = await pageBasics(ctx, request, reply);
  return appView(ctx, { ...basics, user: owned.user, client: owned.client, authorizedUsers: counts.get(owned.client.id) ?? 0, tokensLastDay, ...extra });
}

function appView(ctx: ProviderContext, view: Omit<AppView, 'scopes'>): AppView {
  return { ...view, scopes: ctx.config.scopes };
}

const unique = (values: string[]) => [...new Set(values)];
