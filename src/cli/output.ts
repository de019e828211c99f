/** Prints a command's result: JSON with --json (for scripts and tests), readable lines otherwise. */
export function print(json: boolean | undefined, value: Record<string, unknown>, lines: string[]): void {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${lines.join('\n')}\n`);
}
