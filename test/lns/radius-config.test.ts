// RADIUS configuration as pppd's radius plugin reads it (issue 11 item 1): `plugin radius.so` and
// `radius-config-file` in the options file, radiusclient.conf and its servers file, the same settings
// in the JSON config, and `--check` output with the secrets redacted.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/lns/config/config-error.js';
import { parseJsonConfig, settingsToJson } from '../../src/lns/config/json-config.js';
import { loadLnsConfigFiles } from '../../src/lns/config/load-config-files.js';
import { parsePppOptions } from '../../src/lns/config/pppd-options.js';
import { parseFramedRoute } from '../../src/lns/radius-aaa.js';

const XL2TPD =
  '[lns default]\nip range = 10.1.20.31-10.1.20.50\nlocal ip = 10.1.20.30\npppoptfile = /etc/ppp/options.xl2tpd\n';
const RADIUSCLIENT = [
  'authserver 127.0.0.1:18120',
  'authserver 192.0.2.2',
  'acctserver 127.0.0.1:18130',
  'servers /etc/radiusclient/servers',
  'dictionary /etc/radiusclient/dictionary',
  'radius_timeout 5',
  'radius_retries 2',
  'nas-identifier lns-1',
  'bindaddr 127.0.0.1',
  'seqfile /var/run/radius.seq',
  '',
].join('\n');
const SERVERS = '127.0.0.1 s3cr3t-local\n192.0.2.2 s3cr3t-other\n';

function disk(options: string, extra: Record<string, string> = {}): (p: string) => string | undefined {
  const files: Record<string, string> = {
    '/etc/xl2tpd/xl2tpd.conf': XL2TPD,
    '/etc/ppp/options.xl2tpd': options,
    '/etc/ppp/chap-secrets': 'alice * pw *\n',
    ...extra,
  };
  return (p) => files[p];
}

describe('pppd plugin radius.so', () => {
  it('parses `plugin radius.so` (any path ending in radius.so) and `radius-config-file`', () => {
    const a = parsePppOptions('plugin /usr/lib/pppd/2.4.9/radius.so\nradius-config-file /x/r.conf\n', 'o');
    expect(a.value.radiusPlugin).toEqual({ line: 1 });
    expect(a.value.radiusConfigFile).toEqual({ path: '/x/r.conf', line: 2 });
    expect(a.warnings).toEqual([]);
    expect(parsePppOptions('plugin radius.so', 'o').value.radiusPlugin).toEqual({ line: 1 });
    expect(parsePppOptions('plugin rp-pppoe.so', 'o').value.radiusPlugin).toBeUndefined();
  });

  it('reads the default radiusclient.conf and its servers file; RADIUS settings with secrets resolved', () => {
    const r = loadLnsConfigFiles(
      '/etc/xl2tpd/xl2tpd.conf',
      disk('require-mschap-v2\nplugin radius.so\n', {
        '/etc/radiusclient/radiusclient.conf': RADIUSCLIENT,
        '/etc/radiusclient/servers': SERVERS,
      }),
    );
    expect(r.value.radius).toEqual({
      configFile: '/etc/radiusclient/radiusclient.conf',
      authServers: [
        { host: '127.0.0.1', port: 18120, secret: 's3cr3t-local' },
        { host: '192.0.2.2', port: 1812, secret: 's3cr3t-other' },
      ],
      acctServers: [{ host: '127.0.0.1', port: 18130, secret: 's3cr3t-local' }],
      timeoutMs: 5000,
      retries: 2,
      deadTimeMs: 0,
      nasIdentifier: 'lns-1',
      bindAddress: '127.0.0.1',
      acceptUnsignedReplies: false,
      minInterimSeconds: 60,
      // RFC 5176 clients: the hosts of the servers file with their secrets (no listener by default).
      daeClients: [
        { host: '127.0.0.1', secret: 's3cr3t-local' },
        { host: '192.0.2.2', secret: 's3cr3t-other' },
      ],
      daeRequireEventTimestamp: true,
    });
    expect(r.files).toContain('/etc/radiusclient/servers');
  });

  it('radius-config-file names another file; a relative servers path is taken beside it', () => {
    const r = loadLnsConfigFiles(
      '/etc/xl2tpd/xl2tpd.conf',
      disk('plugin radius.so\nradius-config-file /opt/r/client.conf\n', {
        '/opt/r/client.conf': 'authserver 10.0.0.1\nservers srv\n',
        '/opt/r/srv': '10.0.0.1 k\n',
      }),
    );
    expect(r.value.radius?.authServers).toEqual([{ host: '10.0.0.1', port: 1812, secret: 'k' }]);
    expect(r.value.radius?.acctServers).toEqual([]);
  });

  it('a missing radiusclient.conf, a missing secret and an unknown key: file:line', () => {
    const missing = () => loadLnsConfigFiles('/etc/xl2tpd/xl2tpd.conf', disk('\nplugin radius.so\n'));
    expect(missing).toThrow(ConfigError);
    expect(missing).toThrow(
      expect.objectContaining({
        file: '/etc/ppp/options.xl2tpd',
        line: 2,
        message: expect.stringContaining('cannot read radius-config-file /etc/radiusclient/radiusclient.conf'),
      }),
    );
    const noSecret = () =>
      loadLnsConfigFiles(
        '/etc/xl2tpd/xl2tpd.conf',
        disk('plugin radius.so', { '/etc/radiusclient/radiusclient.conf': 'authserver 10.0.0.9\n' }),
      );
    expect(noSecret).toThrow(
      expect.objectContaining({
        file: '/etc/radiusclient/radiusclient.conf',
        line: 1,
        message: expect.stringContaining('no secret for 10.0.0.9:1812'),
      }),
    );
    const r = loadLnsConfigFiles(
      '/etc/xl2tpd/xl2tpd.conf',
      disk('plugin radius.so', {
        '/etc/radiusclient/radiusclient.conf': 'authserver 10.0.0.9::inline\nfrobnicate 1\n',
      }),
    );
    expect(r.warnings).toContainEqual({
      file: '/etc/radiusclient/radiusclient.conf',
      line: 2,
      message: 'frobnicate: unknown key ignored',
    });
  });

  it('radius-config-file without the plugin is a warning, and no RADIUS', () => {
    const r = loadLnsConfigFiles('/etc/xl2tpd/xl2tpd.conf', disk('radius-config-file /x\n'));
    expect(r.value.radius).toBeUndefined();
    expect(r.warnings.map((w) => w.message)).toContain('radius-config-file: ignored without `plugin radius.so`');
  });
});

describe('JSON config radius', () => {
  const json = JSON.stringify({
    radius: {
      authServers: [{ host: '127.0.0.1', port: 1812, secret: 'a"quoted\\secret' }],
      acctServers: [{ host: 'radius.example', secret: 'acct' }],
      nasIdentifier: 'lns-json',
      acceptUnsignedReplies: true,
    },
  });

  it('takes the same settings, with defaults', () => {
    expect(parseJsonConfig(json, 'c.json').value.radius).toEqual({
      authServers: [{ host: '127.0.0.1', port: 1812, secret: 'a"quoted\\secret' }],
      acctServers: [{ host: 'radius.example', port: 1813, secret: 'acct' }],
      timeoutMs: 10_000,
      retries: 3,
      deadTimeMs: 0,
      nasIdentifier: 'lns-json',
      acceptUnsignedReplies: true,
      minInterimSeconds: 60,
      daeClients: [
        { host: '127.0.0.1', secret: 'a"quoted\\secret' },
        { host: 'radius.example', secret: 'acct' },
      ],
      daeRequireEventTimestamp: true,
    });
    expect(() => parseJsonConfig('{"radius": {"authServers": []}}', 'c.json')).toThrow(
      /\$\.radius\.authServers: expected at least one server/,
    );
    expect(() => parseJsonConfig('{"radius": {"authServers": [{"host": "x"}]}}', 'c.json')).toThrow(
      /\$\.radius\.authServers\[0\]\.secret: expected a string/,
    );
    expect(() => parseJsonConfig('{"radius": {"bogus": 1, "authServers": []}}', 'c.json')).toThrow(
      /bogus: unknown key/,
    );
  });

  it('radius.dae "IPV4:PORT" and radius.daeClients; bad values are refused with their path', () => {
    const r = parseJsonConfig(
      JSON.stringify({
        radius: {
          authServers: [{ host: '127.0.0.1', secret: 'a' }],
          dae: '0.0.0.0:3799',
          daeClients: [{ host: '10.0.0.5', secret: 'coa' }],
          daeRequireEventTimestamp: false,
        },
      }),
      'c.json',
    ).value.radius;
    expect(r?.dae).toEqual({ address: '0.0.0.0', port: 3799 });
    expect(r?.daeClients).toEqual([{ host: '10.0.0.5', secret: 'coa' }]);
    expect(r?.daeRequireEventTimestamp).toBe(false);
    const bad = (radius: object) => () =>
      parseJsonConfig(JSON.stringify({ radius: { authServers: [{ host: 'h', secret: 'a' }], ...radius } }), 'c.json');
    expect(bad({ dae: 'localhost:3799' })).toThrow(/\$\.radius\.dae: expected "IPV4:PORT"/);
    expect(bad({ dae: '1.2.3.4:70000' })).toThrow(/\$\.radius\.dae/);
    expect(bad({ daeClients: [{ host: 'h' }] })).toThrow(/daeClients\[0\]\.secret/);
    expect(bad({ daeClients: [{ host: 'h', secret: 's', port: 1 }] })).toThrow(/daeClients\[0\]\.port: unknown key/);
  });

  it('--check output (settingsToJson redacted) hides every RADIUS secret and round-trips otherwise', () => {
    const settings = parseJsonConfig(json, 'c.json').value;
    const text = settingsToJson(settings, { redactSecrets: true });
    expect(text).not.toContain('quoted');
    expect(text).not.toContain('"acct"');
    expect(JSON.parse(text).radius.daeClients[1]).toEqual({ host: 'radius.example', secret: '***' });
    expect(JSON.parse(text).radius.authServers[0]).toEqual({ host: '127.0.0.1', port: 1812, secret: '***' });
    expect(parseJsonConfig(settingsToJson(settings), 'x.json').value.radius).toEqual(settings.radius);
  });
});

describe('Framed-Route', () => {
  it('RFC2865-5.22: "dest/bits gateway metric" becomes a prefix', () => {
    expect(parseFramedRoute('10.88.0.0/24 0.0.0.0 1')).toEqual({ network: 0x0a580000, prefixLength: 24 });
    expect(parseFramedRoute('10.88.0.7/24')).toEqual({ network: 0x0a580000, prefixLength: 24 });
    expect(parseFramedRoute('10.9.9.9 10.0.0.1')).toEqual({ network: 0x0a090909, prefixLength: 32 });
    expect(parseFramedRoute('nonsense')).toBeUndefined();
    expect(parseFramedRoute('10.0.0.0/33')).toBeUndefined();
  });
});
