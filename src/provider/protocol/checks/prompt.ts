import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

/** prompt: `login` asks for a fresh sign-in, `consent` for the consent page even when consent is remembered. */
export const checkPrompt: AuthorizationCheck = {
  name: 'prompt',
  endpoints: ['authorize', 'par'],
  parameters: ['prompt'],
  run(_ctx, state) {
    const prompt = single(state, 'prompt');
    if (prompt !== undefined && !prompt.split(' ').every((value) => value === 'consent' || value === 'login')) {
      throw invalidRequest('prompt may be "consent" or "login"');
    }
  },
};

/** Whether the request asks for this prompt value. */
export function prompts(parameters: Readonly<Record<string, string>>, value: 'login' | 'consent'): boolean {
  return parameters.prompt?.split(' ').includes(value) ?? false;
}
