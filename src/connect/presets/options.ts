import { ConnectOptionError } from '../client/errors.ts';

// Every preset checks its own options when it is called, which is when the site starts: a missing
// App Secret (an environment variable not set, most often) is named there in one line, instead of
// a login failing later with the provider's "invalid_client".

/** The options object itself, refused when the preset was called without one. */
export function presetOptions<T extends object>(preset: string, options: T | undefined, shape: string): T {
  if (options === null || typeof options !== 'object') {
    throw new ConnectOptionError(`${preset}()`, `${preset}() needs its options: ${preset}({ ${shape} })`);
  }
  return options;
}

/** A string option that must be there and not empty. `what` says where a site finds the value. */
export function requireText(preset: string, options: object, name: string, what: string): void {
  const value = (options as Record<string, unknown>)[name];
  const option = `${preset}().${name}`;
  if (value === undefined || value === null || value === '') {
    throw new ConnectOptionError(option, `${preset}(): ${name} is missing; it is ${what}`);
  }
  if (typeof value !== 'string') throw new ConnectOptionError(option, `${preset}(): ${name} must be a string (${what}), not ${typeof value}`);
}

/** A string option that may be left out but, when given, must not be empty (an unset environment variable). */
export function optionalText(preset: string, options: object, name: string, what: string): void {
  if ((options as Record<string, unknown>)[name] !== undefined) requireText(preset, options, name, what);
}

/** An absolute http(s) URL, such as an issuer. */
export function requireHttpUrl(preset: string, options: object, name: string, what: string): void {
  requireText(preset, options, name, what);
  const value = (options as Record<string, string>)[name]!;
  if (!isHttpUrl(value)) throw new ConnectOptionError(`${preset}().${name}`, `${preset}(): ${name} "${value}" is not an absolute http(s) URL; it is ${what}`);
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
