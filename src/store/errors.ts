/**
 * Whether a driver error is a broken unique constraint, on PostgreSQL (23505) or SQLite. Shared by
 * the provider's store and Connect's, so it lives apart from either's rows.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
