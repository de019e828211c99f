import { ConfigError, makeConfig, type ConfigOverrides, type GrantryConfig } from './config.ts';

// The checks on settings that come from outside — a JSON file, GRANTRY_* variables — before they
// reach makeConfig. What a setting may hold is read off the configuration built from the
// defaults: its keys are the only keys there are, and each value must have its default's type.
// So a setting added to GrantryConfig and makeConfig is checked here with nothing more to write.

/** The configuration that the defaults alone give, as the model of every setting. */
function model(): Record<string, unknown> {
  const built = makeConfig({ secret: 'x'.repeat(64) }) as unknown as Record<string, unknown>;
  delete built.secret;
  return built;
}

/** Settings whose value is a map with keys of the operator's choosing. */
const openMaps = new Set(['scopes']);
/** Settings that take a string as well as their default's type. */
const alsoString = new Set(['trustProxy', 'metricsToken']);

/** Checks one source's overrides; `source` names it in every message (a file name, or "environment"). */
export function checkOverrides(source: string, overrides: Record<string, unknown>): ConfigOverrides {
  checkObject(source, overrides, model(), []);
  return overrides as ConfigOverrides;
}

function checkObject(source: string, value: Record<string, unknown>, shape: Record<string, unknown>, path: string[]): void {
  for (const [key, given] of Object.entries(value)) {
    const name = [...path, key].join('.');
    if (!Object.hasOwn(shape, key)) {
      const suggestion = closest(key, Object.keys(shape));
      throw new ConfigError(`${source}: "${name}" is not a setting${suggestion ? ` (did you mean "${[...path, suggestion].join('.')}"?)` : ''}`);
    }
    checkValue(source, name, given, shape[key]);
  }
}

function checkValue(source: string, name: string, given: unknown, model: unknown): void {
  const bad = (expected: string) => new ConfigError(`${source}: "${name}" must be ${expected}, not ${JSON.stringify(given)}`);
  if (openMaps.has(name)) {
    if (!isPlainObject(given) || !Object.values(given).every((v) => typeof v === 'string')) throw bad('an object of names to descriptions (strings)');
    return;
  }
  if (alsoString.has(name) && typeof given === 'string') return;
  if (model === null) {
    if (given !== null) throw bad('a string or null');
  } else if (typeof model === 'number') {
    if (typeof given !== 'number' || !Number.isFinite(given) || given < 0) throw bad('a number, 0 or more');
  } else if (typeof model === 'boolean') {
    if (typeof given !== 'boolean') throw bad(alsoString.has(name) ? 'true, false or a string' : 'true or false');
  } else if (typeof model === 'string') {
    if (typeof given !== 'string') throw bad('a string');
  } else if (Array.isArray(model)) {
    // Lists (console.operators) hold strings.
    if (!Array.isArray(given) || !given.every((item) => typeof item === 'string')) throw bad('a list of strings');
  } else if (isPlainObject(model)) {
    if (!isPlainObject(given)) throw bad('an object');
    checkObject(source, given, model, name.split('.'));
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The known key nearest to a misspelt one, when it is near enough to be a likely slip. */
function closest(key: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= Math.max(2, Math.floor(name.length / 4)) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

// ── the environment ─────────────────────────────────────────────────────────────────────────

/** `lifetimes.accessToken` → `GRANTRY_LIFETIMES__ACCESS_TOKEN`. */
export function envName(path: string[]): string {
  return `GRANTRY_${path.map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__')}`;
}

/**
 * Every setting read from GRANTRY_* variables named after it (see envName). Values are parsed by
 * their default's type: numbers, true/false, JSON for maps (GRANTRY_SCOPES); a string otherwise.
 * GRANTRY_* variables that name no setting (GRANTRY_SECRET, GRANTRY_CONFIG, …) are left alone, and so
 * are empty ones.
 */
export function overridesFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (shape: Record<string, unknown>, path: string[], target: Record<string, unknown>) => {
    for (const [key, model] of Object.entries(shape)) {
      const here = [...path, key];
      const name = here.join('.');
      if (isPlainObject(model) && !openMaps.has(name)) {
        const nested: Record<string, unknown> = {};
        walk(model, here, nested);
        if (Object.keys(nested).length > 0) target[key] = nested;
        continue;
      }
      const variable = envName(here);
      const text = env[variable];
      // An empty variable (GRANTRY_ISSUER= grantry …) is one not set, as for GRANTRY_SECRET.
      if (text === undefined || text === '') continue;
      target[key] = parseEnvValue(variable, text, model, name);
    }
  };
  walk(model(), [], out);
  return out;
}

function parseEnvValue(variable: string, text: string, model: unknown, name: string): unknown {
  if (openMaps.has(name)) {
    try {
      return JSON.parse(text);
    } catch {
      throw new ConfigError(`${variable} must be a JSON object, not ${JSON.stringify(text)}`);
    }
  }
  // A list from the environment is comma-separated (GRANTRY_CONSOLE__OPERATORS=alice,bob).
  if (Array.isArray(model)) return text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (typeof model === 'number') {
    const number = Number(text);
    if (text.trim() === '' || !Number.isFinite(number)) throw new ConfigError(`${variable} must be a number, not ${JSON.stringify(text)}`);
    return number;
  }
  if (typeof model === 'boolean') {
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (alsoString.has(name)) return text;
    throw new ConfigError(`${variable} must be true or false, not ${JSON.stringify(text)}`);
  }
  return text;
}

/** The configuration fit to print: the secret and the metrics token masked, the database password too. */
export function maskedConfig(config: GrantryConfig): Record<string, unknown> {
  return {
    ...config,
    secret: '***',
    metricsToken: config.metricsToken === null ? null : '***',
    databaseUrl: config.databaseUrl.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@'),
  };
}
