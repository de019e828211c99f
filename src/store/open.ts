import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type DatabaseIntrospector, type LogEvent, type Migration } from 'kysely';
import type pg from 'pg';
import { defaults } from '../config/defaults.ts';

// The database drivers are loaded when a URL of their kind is opened, not before: a process that
// uses PostgreSQL never loads better-sqlite3's native module, and the other way round.

export type Dialect = 'sqlite' | 'postgres';

export interface OpenedDatabase<DB = any> {
  db: Kysely<DB>;
  dialect: Dialect;
  close(): Promise<void>;
}

export class DatabaseUrlError extends Error {}

/** The SQLite file a command was to read does not exist (and `mustExist` forbade making it). */
export class DatabaseMissingError extends Error {
  constructor(
    readonly path: string,
    /** What is missing: the file itself, or the directory it would be made in. */
    readonly missing: 'file' | 'directory',
  ) {
    super(missing === 'file' ? `there is no database at ${path}` : `the directory of ${path} does not exist`);
  }
}

/**
 * Opens the store named by a database URL — `sqlite:PATH`, `sqlite::memory:` or `postgres://…` —
 * and brings its schema up to date. `schema` (PostgreSQL only) confines everything to one schema,
 * which the tests use to give each run a fresh one.
 */
export interface OpenOptions {
  schema?: string;
  /**
   * Called with every statement the store runs and how long it took, in seconds: for counting
   * statements per flow (tests, benchmarks) and for the store-latency metric.
   */
  onQuery?: (sql: string, durationSeconds: number) => void;
  /** PostgreSQL only: the most connections this process opens (defaults.databasePoolSize). */
  poolSize?: number;
  /**
   * SQLite only: refuse a file that does not exist yet (DatabaseMissingError) instead of making
   * it and its directories — for commands that read a store, where a mistyped path is a mistake.
   */
  mustExist?: boolean;
  /** SQLite only: make the file's missing directories (default true); when false, a missing directory is a DatabaseMissingError. */
  createDirectories?: boolean;
}

/**
 * One side's migrations and the tables that record which have run: the provider and Connect each
 * have their own, so that each creates only its own tables, in a database of its own or a shared one.
 */
export interface MigrationSet {
  migrations: Record<string, Migration>;
  table: string;
  lockTable: string;
}

/**
 * A database driver the installed package does not have. grantry depends on both; grantry-connect
 * (Connect alone) leaves the driver to the site, as Kysely and knex do, so that a site on PostgreSQL
 * never builds SQLite's native module.
 */
export class DriverMissingError extends Error {
  constructor(readonly driver: 'better-sqlite3' | 'pg') {
    super(`the ${driver === 'pg' ? 'PostgreSQL' : 'SQLite'} store needs the ${driver} package, which is not installed: npm install ${driver}`);
  }
}

async function loadDriver<T>(driver: 'better-sqlite3' | 'pg', load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${driver}'`)) throw new DriverMissingError(driver);
    throw error;
  }
}

export async function openDatabase<DB>(url: string, migrationSet: MigrationSet, options: OpenOptions = {}): Promise<OpenedDatabase<DB>> {
  const log = options.onQuery ? (event: LogEvent) => options.onQuery!(event.query.sql, event.queryDurationMillis / 1000) : undefined;
  const opened = url.startsWith('sqlite:')
    ? await openSqlite<DB>(url.slice('sqlite:'.length), log, { mustExist: options.mustExist ?? false, createDirectories: options.createDirectories ?? true })
    : await openPostgres<DB>(url, options.schema, log, options.poolSize);
  await migrate(opened.db, opened.dialect, migrationSet);
  return opened;
}

async function openSqlite<DB>(
  path: string,
  log: ((event: LogEvent) => void) | undefined,
  options: { mustExist: boolean; createDirectories: boolean },
): Promise<OpenedDatabase<DB>> {
  if (!path) throw new DatabaseUrlError('a SQLite URL names a file: sqlite:./data/grantry.sqlite');
  if (path !== ':memory:' && !existsSync(path)) {
    if (options.mustExist) throw new DatabaseMissingError(path, 'file');
    if (options.createDirectories) mkdirSync(dirname(path), { recursive: true });
    else if (!existsSync(dirname(path))) throw new DatabaseMissingError(path, 'directory');
  }
  const { default: SQLite } = await loadDriver('better-sqlite3', () => import('better-sqlite3'));
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  // Another process (the CLI beside a running server) may hold the write lock for a moment.
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }), ...(log ? { log } : {}) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Kysely asks better-sqlite3 to prepare every statement anew; the hot paths run the same few
 * statements over and over, so each is prepared once and kept (about 7% of a token request's CPU).
 * The texts are Kysely's own, with parameters as placeholders, so the cache stays small.
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const prepared = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, property) {
      if (property !== 'prepare') {
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (source: string) => {
        let statement = prepared.get(source);
        if (!statement) {
          statement = prepare(source);
          if (prepared.size < 1000) prepared.set(source, statement);
        }
        return statement;
      };
    },
  });
}

// int8 (bigint) columns hold seconds since the epoch: far inside Number's exact range.
function pgTypes(types: typeof pg.types) {
  return {
    getTypeParser(oid: number, format?: any) {
      if (oid === 20) return (value: string) => Number(value);
      return types.getTypeParser(oid, format);
    },
  };
}

async function openPostgres<DB>(url: string, schema?: string, log?: (event: LogEvent) => void, poolSize: number = defaults.databasePoolSize): Promise<OpenedDatabase<DB>> {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new DatabaseUrlError(`unknown database URL "${redactUrl(url)}": use sqlite:PATH or postgres://user@host:5432/database`);
  }
  const { default: pg } = await loadDriver('pg', () => import('pg'));
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists "${schema.replace(/"/g, '')}"`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types: pgTypes(pg.types) as any,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const db = new Kysely<DB>({ dialect: new OwnSchemaPostgresDialect({ pool }), ...(log ? { log } : {}) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/**
 * PostgreSQL as Kysely speaks it, but with the catalog read only in the current schema. Kysely's
 * migrator looks for its bookkeeping tables through the introspector, whose own query reads every
 * schema on the server and calls functions on each schema's name: when another schema was dropped
 * meanwhile (another Grantry on the same server, a test finishing), that query failed with
 * "schema … does not exist", and so did the migration. This one reads the catalog by OID only.
 */
class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return {
      async getSchemas() {
        const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(db);
        return rows;
      },
      async getTables() {
        const { rows } = await sql<{ name: string; schema: string; isView: boolean }>`
          select c.relname as name, n.nspname as schema, c.relkind = 'v' as "isView"
          from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v')`.execute(db);
        return rows.map((row) => ({ ...row, columns: [] }));
      },
      async getMetadata() {
        return { tables: await this.getTables() };
      },
    };
  }
}

async function migrate(db: Kysely<any>, dialect: Dialect, set: MigrationSet): Promise<void> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one: on a PostgreSQL
  // server that holds several Grantry schemas, it must look in ours only.
  const schema = dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({
    db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => set.migrations },
    migrationTableName: set.table,
    migrationLockTableName: set.lockTable,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}

/** A database URL fit for a log line: the password, if any, replaced. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
