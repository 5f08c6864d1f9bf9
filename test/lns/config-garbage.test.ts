// Every parser meets garbage with a value or a ConfigError (file:line within the text), never
// another exception: the h11 fuzz invariant, applied to config files.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChapSecrets } from '../../src/lns/config/chap-secrets.js';
import { ConfigError } from '../../src/lns/config/config-error.js';
import { parseJsonConfig } from '../../src/lns/config/json-config.js';
import { parseL2tpSecrets } from '../../src/lns/config/l2tp-secrets.js';
import { parsePppOptions } from '../../src/lns/config/pppd-options.js';
import { SEED_OPTIONS_XL2TPD, SEED_XL2TPD_CONF } from '../../src/lns/config/seed.js';
import { loadLnsSettings } from '../../src/lns/config/settings.js';
import { parseXl2tpdConf } from '../../src/lns/config/xl2tpd-conf.js';

const pieces = [
  ...SEED_XL2TPD_CONF.split(/\s+/),
  ...SEED_OPTIONS_XL2TPD.split(/\s+/),
  '[',
  ']',
  '=',
  ';',
  '#',
  '"',
  "'",
  '\\',
  '-',
  ',',
  ':',
  '10.0.0.1',
  '10.0.0.1-5',
  '{',
  '}',
  '"port":',
  '[lac x]',
  'no ip range',
  '*',
  '\n',
  ' ',
  '\t',
];
const text = fc
  .array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 4 })), { maxLength: 60 })
  .map((a) => a.join(' '));

function onlyConfigErrors(parse: (t: string) => unknown) {
  return (t: string) => {
    try {
      parse(t);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const line = (e as ConfigError).line;
      expect(line).toBeGreaterThanOrEqual(0);
      expect(line).toBeLessThanOrEqual(t.split('\n').length);
    }
  };
}

describe('config parsers on garbage', () => {
  const parsers: [string, (t: string) => unknown][] = [
    ['xl2tpd.conf', (t) => parseXl2tpdConf(t, 'f')],
    ['pppd options', (t) => parsePppOptions(t, 'f')],
    ['chap-secrets', (t) => parseChapSecrets(t, 'f')],
    ['l2tp-secrets', (t) => parseL2tpSecrets(t, 'f')],
    ['JSON config', (t) => parseJsonConfig(t, 'f')],
    [
      'the whole resolver',
      (t) => loadLnsSettings({ conf: { text: t, file: 'c' }, pppOptions: { text: t, file: 'o' } }),
    ],
  ];
  for (const [name, parse] of parsers) {
    it(`${name}: a value or a ConfigError with a line inside the text, nothing else`, () => {
      fc.assert(fc.property(text, onlyConfigErrors(parse)), { seed: 0x0c0f, numRuns: 400 });
    });
  }
});
