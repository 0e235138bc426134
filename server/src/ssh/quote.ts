/**
 * POSIX shell quoting for commands sent over SSH. The remote side always runs the command
 * through the user's login shell, so every argument is wrapped in single quotes, inside which
 * no character is special; a single quote itself is written as '\'' (close, escaped quote,
 * reopen). This holds for any byte sequence: newlines, $(), backticks, ;, globs, NUL-free UTF-8.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) {
    // A NUL cannot travel in an argv entry at all; refusing beats silently truncating.
    throw new Error('shellQuote: argument contains a NUL byte, which no shell argument can hold');
  }
  // Words made only of characters no shell treats specially stay readable in logs. `=` is not
  // among them: an unquoted `A=b` first word would become an assignment.
  if (arg !== '' && /^[A-Za-z0-9_@%+:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argument vector into one shell command line, each argument quoted. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('shellCommand: empty argv');
  return argv.map(shellQuote).join(' ');
}
