import { isPlausibleClientId } from '../protocol/client-documents.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenFormat } from '../../config/defaults.ts';
import type { Locale } from '../../i18n/index.ts';
import { usernameKey } from '../../lib/username.ts';
import type { ProviderContext } from '../context.ts';
import {
  operatorMessage,
  operatorPage,
  resourceFormValues,
  resourcePage,
  type OperatorKey,
  type OperatorPageView,
  type ResourceField,
  type ResourceFormProblem,
  type ResourceFormValues,
  type SignInAgain,
} from '../pages/operator.ts';
import { formText } from '../pages/html.ts';
import { RegistrationError } from '../protocol/clients.ts';
import { registerResource, updateResource, type ResourceRegistration } from '../protocol/resources.ts';
import { ConflictError, type Resource, type User } from '../storage.ts';
import { signedInRecently } from './console.ts';
import { localeOf, pageBasics, passesCsrf, requireUser, sendNotFound, sendPage } from './login.ts';

// GET /console/operator and POST /console/operator/apps/:id/delete: the operator's page (see
// ../pages/operator.ts). An operator is a person whose username is in console.operators; to anyone
// else signed in the page does not exist (404), and a stranger is sent to log in first.
//
// The registered APIs (RFC 8707 resources): POST /console/operator/resources registers one, GET and
// POST /console/operator/resources/:id show and change one, through the rules of
// ../protocol/resources.ts that grantry resource follows. Either changes what tokens say for every
// app (their audience, scopes, lifetime, format), so, as an app's redirect URIs do, it needs a sign-in
// from the last login.reauthenticationSeconds: a stolen operator cookie alone cannot make it.

/** What a form can carry, beyond the registration rules: a URL's practical length, and a bounded scope list. */
const maxUriLength = 2000;
const maxScopes = 100;
const maxScopeLength = 200;

export async function consoleOperatorRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  /** The signed-in operator; otherwise the login redirect or the 404 has been sent. */
  const requireOperator = async (request: FastifyRequest, reply: FastifyReply, returnTo: string): Promise<User | null> => {
    const user = await requireUser(ctx, request, reply, returnTo);
    if (!user) return null;
    if (!isOperator(ctx, user)) {
      await sendNotFound(ctx, request, reply);
      return null;
    }
    return user;
  };

  /** The operator page's data; `extra` carries the register form as typed, a notice, or the sign-in hint. */
  const operatorView = async (request: FastifyRequest, reply: FastifyReply, extra: Partial<OperatorPageView> = {}): Promise<OperatorPageView> => {
    const apps = await ctx.store.clients.list();
    const registered = apps.filter((client) => client.origin === 'registration');
    const documents = apps.filter((client) => client.origin === 'document');
    const resources = await ctx.store.resources.list();
    const basics = await pageBasics(ctx, request, reply);
    const fresh = await signedInRecently(ctx, request);
    return {
      ...basics,
      registered,
      documents,
      resources,
      unusedClientDays: ctx.config.registration.unusedClientDays,
      deleted: false,
      cacheSeconds: ctx.config.clientCacheSeconds,
      ...(fresh ? {} : { signInAgain: signInAgain(ctx, '/console/operator') }),
      ...extra,
    };
  };

  app.get('/console/operator', async (request, reply) => {
    if (!(await requireOperator(request, reply, '/console/operator'))) return reply;
    const view = await operatorView(request, reply, { deleted: formText(request.query, 'deleted') !== '', resourceRegistered: formText(request.query, 'registered') !== '' });
    return sendPage(reply, operatorPage(view));
  });

  // Where the language switcher of a refused register form comes back to (its page is the POST's path).
  app.get('/console/operator/resources', async (request, reply) => {
    if (!(await requireOperator(request, reply, '/console/operator'))) return reply;
    return reply.redirect('/console/operator#register-resource', 303);
  });

  app.post('/console/operator/resources', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const operator = await requireOperator(request, reply, '/console/operator');
    if (!operator) return reply;
    const values = resourceValuesOf(request.body, true);
    const locale = localeOf(request);
    if (!(await signedInRecently(ctx, request))) {
      const problem = { message: operatorMessage(locale, 'operator.error.signInAgain', { minutes: reauthenticationMinutes(ctx) }) };
      return sendPage(reply, operatorPage(await operatorView(request, reply, { resourceForm: { values, problem } })), 403);
    }
    try {
      const resource = await registerResource(ctx.store, ctx.config, registrationOf(values));
      ctx.audit.record({
        event: 'resource_registered',
        userId: operator.id,
        ip: request.ip,
        detail: { resource_id: resource.id, uri: resource.uri, name: resource.name, scopes: resource.scopes, access_token_lifetime: resource.accessTokenLifetime, token_format: resource.tokenFormat },
      });
      // Redirect after the POST: a reload cannot register it twice (and a second try would be refused as a duplicate).
      return reply.redirect('/console/operator?registered=1#resources', 303);
    } catch (error) {
      const problem = await problemOf(ctx, locale, error, values.uri);
      return sendPage(reply, operatorPage(await operatorView(request, reply, { resourceForm: { values, problem } })), 400);
    }
  });

  app.get('/console/operator/resources/:id', async (request, reply) => {
    const found = await operatorResource(request, reply);
    if (!found) return reply;
    const saved = formText(request.query, 'saved') !== '';
    return sendPage(reply, resourcePage(await resourceView(request, reply, found.resource, { values: resourceFormValues(found.resource), saved })));
  });

  app.post('/console/operator/resources/:id', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const found = await operatorResource(request, reply);
    if (!found) return reply;
    const { operator, resource } = found;
    // The URI is never read from the form: it is the tokens' audience, and a forged field cannot move it.
    const values = { ...resourceValuesOf(request.body, false), uri: resource.uri };
    const locale = localeOf(request);
    if (!(await signedInRecently(ctx, request))) {
      const problem = { message: operatorMessage(locale, 'operator.error.signInAgain', { minutes: reauthenticationMinutes(ctx) }) };
      return sendPage(reply, resourcePage(await resourceView(request, reply, resource, { values, problem })), 403);
    }
    try {
      // The URI is not the form's (it is checked only when registered): the rest is read as a registration's.
      const registration = registrationOf({ ...values, uri: '' });
      const patch: Partial<ResourceRegistration> = {
        name: registration.name,
        scopes: registration.scopes,
        accessTokenLifetime: registration.accessTokenLifetime ?? null,
        // An empty (or absent) choice leaves the format as it is.
        ...(registration.tokenFormat !== undefined ? { tokenFormat: registration.tokenFormat } : {}),
      };
      const changed = changedFields(resource, patch);
      if (changed.length > 0) {
        const updated = await updateResource(ctx.store, ctx.config, resource.id, patch);
        ctx.audit.record({
          event: 'resource_updated',
          userId: operator.id,
          ip: request.ip,
          detail: { resource_id: resource.id, uri: resource.uri, fields: changed, ...(changed.includes('scopes') ? { scopes_before: resource.scopes, scopes_after: updated.scopes } : {}) },
        });
      }
      return reply.redirect(`/console/operator/resources/${encodeURIComponent(resource.id)}?saved=1`, 303);
    } catch (error) {
      const problem = await problemOf(ctx, locale, error, resource.uri);
      return sendPage(reply, resourcePage(await resourceView(request, reply, resource, { values, problem })), 400);
    }
  });

  /** The signed-in operator and the API named in the URL; an unknown (or implausible) id is a 404. */
  const operatorResource = async (request: FastifyRequest, reply: FastifyReply): Promise<{ operator: User; resource: Resource } | null> => {
    const id = (request.params as { id?: string }).id ?? '';
    const operator = await requireOperator(request, reply, `/console/operator/resources/${encodeURIComponent(id)}`);
    if (!operator) return null;
    // Ids are short printable text; anything else (a NUL byte, which PostgreSQL refuses) is no API at all.
    const resource = /^[\x21-\x7e]{1,200}$/.test(id) ? await ctx.store.resources.find(id) : undefined;
    if (!resource) {
      await sendNotFound(ctx, request, reply);
      return null;
    }
    return { operator, resource };
  };

  const resourceView = async (request: FastifyRequest, reply: FastifyReply, resource: Resource, extra: { values: ResourceFormValues; problem?: ResourceFormProblem; saved?: boolean }) => {
    const fresh = await signedInRecently(ctx, request);
    return {
      ...(await pageBasics(ctx, request, reply)),
      resource,
      cacheSeconds: ctx.config.clientCacheSeconds,
      ...(fresh ? {} : { signInAgain: signInAgain(ctx, `/console/operator/resources/${encodeURIComponent(resource.id)}`) }),
      ...extra,
    };
  };

  app.post('/console/operator/apps/:id/delete', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const operator = await requireOperator(request, reply, '/console/operator');
    if (!operator) return reply;
    const id = (request.params as { id?: string }).id ?? '';
    const client = /^[0-9a-f]{32}$/.test(id) ? await ctx.store.clients.find(id) : undefined;
    // Only self-registered apps are the operator page's to delete; a person's app is theirs (and the CLI's).
    if (!client || client.origin !== 'registration') return sendNotFound(ctx, request, reply);
    await ctx.store.clients.delete(client.id);
    ctx.audit.record({ event: 'app_deleted', clientId: client.id, userId: operator.id, ip: request.ip, detail: { name: client.name, origin: 'registration', by: 'operator' } });
    return reply.redirect('/console/operator?deleted=1', 303);
  });

  // An app known by its metadata document is named by a URL, which a path segment cannot carry: the form sends it.
  app.post('/console/operator/documents/delete', async (request, reply) => {
    if (!(await passesCsrf(ctx, request, reply))) return reply;
    const operator = await requireOperator(request, reply, '/console/operator');
    if (!operator) return reply;
    const id = formText(request.body, 'client_id');
    const client = isPlausibleClientId(id) && id !== '' ? await ctx.store.clients.find(id) : undefined;
    if (!client || client.origin !== 'document') return sendNotFound(ctx, request, reply);
    await ctx.store.clients.delete(client.id);
    ctx.audit.record({ event: 'app_deleted', clientId: client.id, userId: operator.id, ip: request.ip, detail: { name: client.name, origin: 'document', by: 'operator' } });
    return reply.redirect('/console/operator?deleted=1', 303);
  });
}

const reauthenticationMinutes = (ctx: ProviderContext) => Math.max(1, Math.round(ctx.config.login.reauthenticationSeconds / 60));
const signInAgain = (ctx: ProviderContext, returnTo: string): SignInAgain => ({ minutes: reauthenticationMinutes(ctx), returnTo });

/** An API form as typed (the URI only when registering); the format defaults to JWT when the form sends none. */
function resourceValuesOf(body: unknown, withUri: boolean): ResourceFormValues {
  return {
    uri: withUri ? formText(body, 'uri').trim() : '',
    name: formText(body, 'name').trim(),
    scopes: formText(body, 'scopes').trim(),
    lifetime: formText(body, 'access_token_lifetime').trim(),
    tokenFormat: formText(body, 'token_format').trim(),
  };
}

/** The registration a form asks for, with the limits of what a form can carry; registerResource checks the rest. */
function registrationOf(values: ResourceFormValues): ResourceRegistration {
  if (values.uri.length > maxUriLength) throw new RegistrationError(`a resource URI is at most ${maxUriLength} characters`, 'resource_uri_too_long');
  const scopes = values.scopes.split(/\s+/).filter(Boolean);
  if (scopes.length > maxScopes || scopes.some((scope) => scope.length > maxScopeLength)) throw new RegistrationError('too many scopes, or too long', 'resource_scope_too_many');
  // Empty: the provider's lifetime. Digits only (no sign, exponent or fraction), at most 9 of them.
  if (values.lifetime !== '' && !/^\d{1,9}$/.test(values.lifetime)) throw new RegistrationError('the access-token lifetime is a whole number of seconds', 'resource_lifetime', values.lifetime);
  return {
    uri: values.uri,
    name: values.name,
    scopes,
    accessTokenLifetime: values.lifetime === '' ? null : Number(values.lifetime),
    ...(values.tokenFormat !== '' ? { tokenFormat: values.tokenFormat as TokenFormat } : {}),
  };
}

/** The fields a patch changes, by their names in the audit trail. */
function changedFields(resource: Resource, patch: Partial<ResourceRegistration>): string[] {
  const changed: string[] = [];
  if (patch.name !== undefined && patch.name !== resource.name) changed.push('name');
  if (patch.scopes !== undefined && [...new Set(patch.scopes)].join(' ') !== resource.scopes.join(' ')) changed.push('scopes');
  if (patch.accessTokenLifetime !== undefined && patch.accessTokenLifetime !== resource.accessTokenLifetime) changed.push('access_token_lifetime');
  if (patch.tokenFormat !== undefined && patch.tokenFormat !== resource.tokenFormat) changed.push('token_format');
  return changed;
}

/** Each refusal's message on this page's catalogue and the field it concerns. */
const problemKeys: Record<string, { key: OperatorKey; field?: ResourceField }> = {
  resource_uri: { key: 'operator.error.resource_uri', field: 'uri' },
  resource_uri_issuer: { key: 'operator.error.resource_uri_issuer', field: 'uri' },
  resource_uri_taken: { key: 'operator.error.resource_uri_taken', field: 'uri' },
  resource_uri_too_long: { key: 'operator.error.resource_uri_too_long', field: 'uri' },
  resource_name: { key: 'operator.error.resource_name', field: 'name' },
  resource_scope: { key: 'operator.error.resource_scope', field: 'scopes' },
  resource_scope_provider: { key: 'operator.error.resource_scope_provider', field: 'scopes' },
  resource_scope_taken: { key: 'operator.error.resource_scope_taken', field: 'scopes' },
  resource_scope_too_many: { key: 'operator.error.resource_scope_too_many', field: 'scopes' },
  resource_lifetime: { key: 'operator.error.resource_lifetime', field: 'lifetime' },
  resource_token_format: { key: 'operator.error.resource_token_format', field: 'token_format' },
};

/**
 * A refusal of the rules (RegistrationError) or of the store (ConflictError: the URI's unique
 * constraint, met when another registration of it won a race), in the reader's language. Anything
 * else is a fault, not the operator's: it goes on to the error handler.
 */
async function problemOf(ctx: ProviderContext, locale: Locale, error: unknown, uri: string): Promise<ResourceFormProblem> {
  if (error instanceof ConflictError) return { message: operatorMessage(locale, 'operator.error.resource_uri_taken', { value: uri.slice(0, 200) }), field: 'uri' };
  if (!(error instanceof RegistrationError)) throw error;
  const known = Object.hasOwn(problemKeys, error.code) ? problemKeys[error.code]! : { key: 'operator.error.invalid' as OperatorKey };
  const value = (error.value ?? '').slice(0, 200);
  // Which API holds a scope already, named for the operator (operators see every API anyway).
  const owner = error.code === 'resource_scope_taken' ? ((await ctx.store.resources.list()).find((resource) => resource.scopes.includes(error.value ?? ''))?.uri ?? '') : '';
  const message = operatorMessage(locale, known.key, { value, owner, max: error.code === 'resource_uri_too_long' ? maxUriLength : maxScopes, length: maxScopeLength });
  return { message, ...(known.field ? { field: known.field } : {}) };
}

/** Whether this person is one of console.operators (names compared as logins compare them: case and width folded). */
export function isOperator(ctx: Pick<ProviderContext, 'config'>, user: Pick<User, 'username'>): boolean {
  const key = usernameKey(user.username);
  return ctx.config.console.operators.some((name) => usernameKey(name) === key);
}
