import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

export type PromptValue = 'none' | 'login' | 'consent' | 'select_account';
const promptValues: readonly string[] = ['none', 'login', 'consent', 'select_account'];

/**
 * prompt (OpenID Connect Core §3.1.2.1, and for plain OAuth requests alike): `login` asks for a
 * fresh sign-in, `consent` for the consent page even when consent is remembered, `select_account`
 * for the account chooser when someone is signed in (go on as them, or sign in as someone else:
 * Grantry keeps one account per browser; see chooseAccount), `none` for no page at all — an
 * answer at once, or an error. `none` goes with no other value.
 */
export const checkPrompt: AuthorizationCheck = {
  name: 'prompt',
  endpoints: ['authorize', 'par'],
  parameters: ['prompt'],
  run(_ctx, state) {
    const prompt = single(state, 'prompt');
    if (prompt === undefined) return;
    const values = prompt.split(' ').filter(Boolean);
    if (!values.every((value) => promptValues.includes(value))) throw invalidRequest('prompt may be "none", "login", "consent" or "select_account"');
    if (values.includes('none') && values.length > 1) throw invalidRequest('prompt=none goes with no other value');
  },
};

/** Whether the request asks for this prompt value. */
export function prompts(parameters: Readonly<Record<string, string>>, value: PromptValue): boolean {
  return parameters.prompt?.split(' ').includes(value) ?? false;
}
