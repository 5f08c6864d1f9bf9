// ConfigError and ConfigWarning: what every config parser in this folder reports, always with
// file:line (DESIGN.md: exit code 2 "with file:line and the reason").
// Related: xl2tpd-conf.ts, pppd-options.ts, chap-secrets.ts.

/** A problem that does not stop the LNS (unknown key, accepted-but-ignored option). */
export interface ConfigWarning {
  readonly file: string;
  /** 1-based; 0 when the problem has no single line (JSON paths, cross-file checks). */
  readonly line: number;
  readonly message: string;
}

/** What every parser returns: the typed value plus the warnings met on the way. */
export interface Parsed<T> {
  readonly value: T;
  readonly warnings: ConfigWarning[];
}

/** An invalid configuration: `file:line: reason`. Its `code` is permanent, its message may change. */
export class ConfigError extends Error {
  readonly code = 'ERR_L2TP_CONFIG';
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
  }

  /** `options.xl2tpd:12: mtu: expected an integer 128..16384, got "abc"`. */
  override toString(): string {
    return formatLocation(this.file, this.line, this.message);
  }
}

/** `file:line: message` (the line is left out when it is 0). */
export function formatWarning(w: ConfigWarning): string {
  return formatLocation(w.file, w.line, w.message);
}

function formatLocation(file: string, line: number, message: string): string {
  return line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`;
}

/** Collects warnings for one file; parsers call `warn(line, message)`. */
export class WarningSink {
  readonly warnings: ConfigWarning[] = [];
  constructor(readonly file: string) {}
  warn(line: number, message: string): void {
    this.warnings.push({ file: this.file, line, message });
  }
  error(line: number, message: string): ConfigError {
    return new ConfigError(this.file, line, message);
  }
}
