import type { LazyProvider, Provider } from './types.ts';

/** A provider read on first use: `load` runs when a login first needs it (again, if it failed). */
export function lazyProvider(id: string, name: string, load: () => Provider | LazyProvider | Promise<Provider | LazyProvider>): LazyProvider {
  return { id, name, load: async () => loadProvider(await load()) };
}

export function isLazyProvider(value: Provider | LazyProvider): value is LazyProvider {
  return typeof (value as Partial<LazyProvider>).load === 'function';
}

/**
 * The provider itself, loading it first if it is lazy. A lazy provider whose load gives another
 * lazy one is loaded through: code written when the grantry preset was asynchronous wraps it as
 * `lazyProvider('grantry', 'Grantry', () => grantry({…}))`, and that keeps working.
 */
export async function loadProvider(source: Provider | LazyProvider): Promise<Provider> {
  let current = source;
  // Bounded: a load that keeps answering lazy providers is a mistake, not a chain to follow for ever.
  for (let depth = 0; isLazyProvider(current); depth++) {
    if (depth === 8) throw new TypeError(`the provider "${source.id}" keeps loading into another lazy provider`);
    current = await current.load();
  }
  return current;
}
