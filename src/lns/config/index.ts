// The LNS configuration in one import: parsers (xl2tpd.conf, pppd options, chap-secrets,
// l2tp-secrets, JSON), the LnsSettings model and its resolver. Related: docs/CONFIG.md.

export { formatIpv4, parseIpv4 } from '../../core/ipv4.js';
export { type ChapSecret, parseChapSecrets } from './chap-secrets.js';
export { ConfigError, type ConfigWarning, formatWarning, type Parsed } from './config-error.js';
export { applyRangeRules, type Ipv4Range, inRanges, parseIpv4Range, type RangeRule } from './ipv4.js';
export { JSON_CONFIG_KEYS, parseJsonConfig, settingsToJson } from './json-config.js';
export { lookupTunnelSecret, parseL2tpSecrets, type TunnelSecret } from './l2tp-secrets.js';
export {
  DEFAULT_CHAP_SECRETS_PATH,
  DEFAULT_L2TP_SECRETS_PATH,
  type LoadConfigFilesOptions,
  loadLnsConfigFiles,
} from './load-config-files.js';
export { PPP_OPTION_NAMES, type PppAuthProtocol, type PppOptions, parsePppOptions } from './pppd-options.js';
export { SEED_CHAP_SECRETS, SEED_OPTIONS_XL2TPD, SEED_XL2TPD_CONF } from './seed.js';
export {
  DEFAULT_LNS_SETTINGS,
  type LnsConfigInput,
  type LnsConfigTexts,
  type LnsSettings,
  type LnsUser,
  lacAllowed,
  loadLnsSettings,
  lookupUser,
  referencedFiles,
  resolveLnsSettings,
  tunnelSecretFor,
} from './settings.js';
export {
  parseXl2tpdConf,
  XL2TPD_KEYS,
  type Xl2tpdConf,
  type Xl2tpdGlobal,
  type Xl2tpdLac,
  type Xl2tpdLns,
} from './xl2tpd-conf.js';
