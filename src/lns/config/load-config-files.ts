// Loading a config by path: xl2tpd.conf and the files it names (pppoptfile, auth file,
// chap-secrets), or the native JSON file, through an injected reader so it stays sans-IO.
// Related: settings.ts (loadLnsSettings), json-config.ts, src/cli (passes fs.readFileSync).
import { ConfigError, type ConfigWarning, type Parsed } from './config-error.js';
import { parseJsonConfig } from './json-config.js';
import { type LnsSettings, loadLnsSettings, referencedFiles } from './settings.js';
import { parseXl2tpdConf } from './xl2tpd-conf.js';

/** Where pppd and xl2tpd look when xl2tpd.conf names no file. */
export const DEFAULT_CHAP_SECRETS_PATH = '/etc/ppp/chap-secrets';
export const DEFAULT_L2TP_SECRETS_PATH = '/etc/xl2tpd/l2tp-secrets';

/** Paths the CLI may override (`--chap-secrets`, `--ppp-options`, `--section`). */
export interface LoadConfigFilesOptions {
  readonly section?: string;
  readonly pppOptions?: string;
  readonly chapSecrets?: string;
  readonly l2tpSecrets?: string;
}

/**
 * Loads a config by path with an injected reader (undefined = cannot read), so it stays pure:
 * `*.json` is the native JSON config; anything else is xl2tpd.conf plus the files it names
 * (`pppoptfile`, `auth file`) and chap-secrets (default /etc/ppp/chap-secrets). A missing
 * xl2tpd.conf is a ConfigError; a missing companion file is a warning (its defaults apply).
 * Returns the settings, the warnings and the files actually read.
 */
export function loadLnsConfigFiles(
  path: string,
  read: (path: string) => string | undefined,
  opts: LoadConfigFilesOptions = {},
): Parsed<LnsSettings> & { readonly files: readonly string[] } {
  const main = read(path);
  if (main === undefined) throw new ConfigError(path, 0, 'cannot read the file');
  if (path.endsWith('.json')) return { ...parseJsonConfig(main, path), files: [path] };
  const files = [path];
  const warnings: ConfigWarning[] = [];
  const conf = parseXl2tpdConf(main, path);
  warnings.push(...conf.warnings);
  const refs = referencedFiles(conf.value, opts.section);
  const companion = (p: string | undefined, what: string, quiet = false) => {
    if (p === undefined) return undefined;
    const text = read(p);
    if (text === undefined) {
      if (!quiet) warnings.push({ file: path, line: 0, message: `cannot read ${what} ${p}; its defaults apply` });
      return undefined;
    }
    files.push(p);
    return { text, file: p };
  };
  const pppOptions = companion(opts.pppOptions ?? refs.pppOptFile, 'the pppd options file');
  const chapSecrets = companion(opts.chapSecrets ?? DEFAULT_CHAP_SECRETS_PATH, 'chap-secrets');
  const authPath = opts.l2tpSecrets ?? refs.authFile ?? DEFAULT_L2TP_SECRETS_PATH;
  // The auth file only matters for tunnel authentication; xl2tpd itself reads it lazily.
  const l2tpSecrets = companion(
    authPath,
    'the auth file',
    refs.authFile === undefined && opts.l2tpSecrets === undefined,
  );
  const rest = loadLnsSettings({
    conf: { text: main, file: path },
    ...(pppOptions && { pppOptions }),
    ...(chapSecrets && { chapSecrets }),
    ...(l2tpSecrets && { l2tpSecrets }),
    ...(opts.section !== undefined && { section: opts.section }),
    readFile: (p: string) => {
      const text = read(p);
      if (text !== undefined) files.push(p);
      return text;
    },
  });
  // loadLnsSettings re-parses xl2tpd.conf: keep its warnings once.
  const confCount = conf.warnings.length;
  return { value: rest.value, warnings: [...warnings, ...rest.warnings.slice(confCount)], files };
}
