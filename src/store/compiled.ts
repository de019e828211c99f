import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

/**
 * A query that Kysely builds and compiles once, on first use, and that then runs with fresh
 * parameters each time: on the hot paths, building and compiling cost more CPU than SQLite takes
 * to run the statement (a resource request spent about a fifth of its time there).
 *
 * `build` receives stand-ins for its arguments and must use each one as a plain value (a column
 * value or a comparison operand), never to choose the query's shape; anything that changes per
 * call, the current time included, must be an argument. The stand-ins are then found among the
 * compiled parameters and replaced by the real values on each call.
 */
export function precompile<Args extends unknown[], Row>(
  db: Kysely<any>,
  arity: Args['length'],
  build: (...args: Args) => Compilable<Row>,
): (...args: Args) => Promise<QueryResult<Row>> {
  let compiled: CompiledQuery<Row> | undefined;
  let slots: ({ arg: number } | { value: unknown })[] = [];
  return (...args) => {
    if (!compiled) {
      const standIns = Array.from({ length: arity }, (_, index) => `\u0000grantry-argument-${index}\u0000`);
      compiled = build(...(standIns as Args)).compile();
      slots = compiled.parameters.map((value) => {
        const index = standIns.indexOf(value as string);
        return index >= 0 ? { arg: index } : { value };
      });
      const used = new Set(slots.flatMap((slot) => ('arg' in slot ? [slot.arg] : [])));
      if (used.size !== arity) throw new Error(`a precompiled query used ${used.size} of its ${arity} arguments as parameters`);
    }
    const parameters = slots.map((slot) => ('arg' in slot ? args[slot.arg] : slot.value));
    return db.executeQuery<Row>({ ...compiled, parameters });
  };
}
