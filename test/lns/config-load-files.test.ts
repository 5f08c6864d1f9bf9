// loadLnsConfigFiles: xl2tpd.conf → the files it names, through an injected reader (no disk).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/lns/config/config-error.js';
import { loadLnsConfigFiles } from '../../src/lns/config/load-config-files.js';

const vector = (name: string) => readFileSync(new URL(`../vectors/config/${name}`, import.meta.url), 'utf8');

/** The how-to's files at the paths the how-to puts them. */
const disk: Record<string, string> = {
  '/etc/xl2tpd/xl2tpd.conf': vector('xl2tpd.conf'),
  '/etc/ppp/options.xl2tpd': vector('options.xl2tpd'),
  '/etc/ppp/chap-secrets': vector('chap-secrets'),
};
const read = (p: string) => disk[p];

describe('loadLnsConfigFiles', () => {
  it("follows the how-to's pppoptfile and the default chap-secrets; its auth file is absent", () => {
    const r = loadLnsConfigFiles('/etc/xl2tpd/xl2tpd.conf', read);
    expect(r.files).toEqual(['/etc/xl2tpd/xl2tpd.conf', '/etc/ppp/options.xl2tpd', '/etc/ppp/chap-secrets']);
    expect(r.value).toMatchObject({ mtu: 1400, authMethods: ['mschapv2'], localAddress: '10.1.20.30' });
    expect(r.value.users.get('username')).toEqual({ secret: 'secret', staticAddress: '10.1.20.32' });
    // `auth file = /etc/xl2tpd/xl2tp-secrets` is named but missing: one warning.
    expect(r.warnings).toEqual([
      {
        file: '/etc/xl2tpd/xl2tpd.conf',
        line: 0,
        message: 'cannot read the auth file /etc/xl2tpd/xl2tp-secrets; its defaults apply',
      },
    ]);
  });

  it('CLI overrides replace the named files; warnings of each file appear once', () => {
    const files: Record<string, string> = {
      ...disk,
      '/tmp/o': 'mtu 1300\nfrob\n',
      '/tmp/c': 'alice * pw\n',
      '/tmp/l': '* * s\n',
    };
    const conf = `${vector('xl2tpd.conf')}bogus = 1\n`;
    const r = loadLnsConfigFiles('/x.conf', (p) => (p === '/x.conf' ? conf : files[p]), {
      pppOptions: '/tmp/o',
      chapSecrets: '/tmp/c',
      l2tpSecrets: '/tmp/l',
    });
    expect(r.files).toEqual(['/x.conf', '/tmp/o', '/tmp/c', '/tmp/l']);
    expect(r.value).toMatchObject({
      mtu: 1300,
      authRequired: false,
      tunnelSecrets: [{ us: '*', them: '*', secret: 's' }],
    });
    expect(r.warnings.map((w) => `${w.file}:${w.line}`)).toEqual(['/x.conf:19', '/tmp/o:2']);
  });

  it('a .json path is the native JSON config; an unreadable main file is a ConfigError', () => {
    const r = loadLnsConfigFiles('/etc/l2tp-ts.json', () => '{"mtu": 1280}');
    expect([r.value.mtu, r.files]).toEqual([1280, ['/etc/l2tp-ts.json']]);
    expect(() => loadLnsConfigFiles('/nope.conf', () => undefined)).toThrowError(ConfigError);
  });
});
