import SQLite from 'better-sqlite3';
import pg from 'pg';

/** Every row of every table, as one string: for asserting that no secret is stored in plain. */
export async function dumpDatabase(databaseUrl: string): Promise<string> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new SQLite(databaseUrl.slice('sqlite:'.length), { readonly: true });
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
      return JSON.stringify(Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`select * from "${name}"`).all()])));
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query("select table_name from information_schema.tables where table_schema = current_schema()");
    const dump: Record<string, unknown[]> = {};
    for (const { table_name } of tables.rows) dump[table_name] = (await client.query(`select * from "${table_name}"`)).rows;
    return JSON.stringify(dump);
  } finally {
    await client.end();
  }
}
