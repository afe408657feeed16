/**
 * Errors that end a command carry the process exit code DESIGN.md assigns to them, so the
 * CLI maps any thrown error to an exit code in one place.
 */
export const ExitCode = {
  ok: 0,
  findings: 1,
  usage: 2,
  environment: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class TokenproofError extends Error {
  readonly exitCode: ExitCode;
  readonly code: string;
  constructor(message: string, code: string, exitCode: ExitCode) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A command-line or configuration mistake: exit 2. */
export class UsageError extends TokenproofError {
  constructor(message: string) {
    super(message, 'ERR_USAGE', ExitCode.usage);
  }
}

/** A configuration file that cannot be used. Names the file, the position and the field. */
export class ConfigError extends TokenproofError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly field: string | undefined;
  constructor(opts: { file: string; line?: number; column?: number; field?: string; problem: string }) {
    const where = opts.line ? `${opts.file}:${opts.line}:${opts.column ?? 1}` : opts.file;
    const field = opts.field ? ` field '${opts.field}'` : '';
    super(`${where}:${field} ${opts.problem}`.replace(':  ', ': '), 'ERR_CONFIG', ExitCode.usage);
    this.file = opts.file;
    this.line = opts.line;
    this.column = opts.column;
    this.field = opts.field;
  }
}

/** Something outside tokenproof is missing or unreachable: exit 3. The message says how to fix it. */
export class EnvironmentError extends TokenproofError {
  readonly fix: string;
  constructor(problem: string, fix: string) {
    super(`${problem}\n  fix: ${fix}`, 'ERR_ENVIRONMENT', ExitCode.environment);
    this.fix = fix;
  }
}
