// radiusclient.conf and its servers file as pppd's radius plugin (radcli) reads them.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/lns/config/config-error.js';
import {
  lookupRadiusSecret,
  parseRadiusClientConf,
  parseRadiusServers,
  resolveRadiusSecrets,
} from '../../src/lns/config/radius-conf.js';

const CONF = `# radcli sample, trimmed
auth_order	radius,local
login_tries	4
authserver 	10.0.0.1
authserver 	10.0.0.2:1645, radius2.example:1812
acctserver 	10.0.0.1:1813:inline-secret
servers		/etc/radiusclient/servers
dictionary 	/etc/radiusclient/dictionary
radius_timeout	5
radius_retries	2
radius_deadtime	30
nas-identifier	lns-1
bindaddr	192.0.2.10
frobnicate	yes
`;

const errorOf = (text: string): string => {
  try {
    parseRadiusClientConf(text, 'r.conf');
  } catch (e) {
    if (e instanceof ConfigError) return e.toString();
    throw e;
  }
  return 'no error';
};

describe('radiusclient.conf', () => {
  it('reads the keys pppd uses, servers in failover order, defaults for the ports', () => {
    const { value, warnings } = parseRadiusClientConf(CONF, 'r.conf');
    expect(value.authServers.map((s) => `${s.host}:${s.port}@${s.line}`)).toEqual([
      '10.0.0.1:1812@4',
      '10.0.0.2:1645@5',
      'radius2.example:1812@5',
    ]);
    expect(value.acctServers).toEqual([{ host: '10.0.0.1', port: 1813, secret: 'inline-secret', line: 6 }]);
    expect(value).toMatchObject({
      serversFile: '/etc/radiusclient/servers',
      dictionary: '/etc/radiusclient/dictionary',
      timeoutSeconds: 5,
      retries: 2,
      deadTimeSeconds: 30,
      nasIdentifier: 'lns-1',
      bindAddress: '192.0.2.10',
    });
    expect(warnings).toEqual([{ file: 'r.conf', line: 14, message: 'frobnicate: unknown key ignored' }]);
  });

  it('radcli defaults: timeout 10 s, 3 retries, bindaddr * is any', () => {
    const { value } = parseRadiusClientConf('authserver localhost\nbindaddr *\n', 'r.conf');
    expect(value).toMatchObject({ timeoutSeconds: 10, retries: 3, deadTimeSeconds: 0 });
    expect(value.bindAddress).toBeUndefined();
  });

  it('invalid values are ConfigError with file:line, never echoing an inline secret', () => {
    expect(errorOf('\nradius_timeout abc\n')).toBe('r.conf:2: radius_timeout: expected an integer 1..3600, got "abc"');
    expect(errorOf('authserver 10.0.0.1:99999')).toBe(
      'r.conf:1: authserver port: expected an integer 1..65535, got "99999"',
    );
    expect(errorOf('bindaddr lns.example')).toBe(
      'r.conf:1: bindaddr: expected "*" or an IPv4 address, got "lns.example"',
    );
    expect(errorOf('radius_retries')).toBe('r.conf:1: radius_retries: missing value');
    expect(errorOf('authserver a/b:1812:topsecret')).not.toContain('topsecret');
  });
});

describe('servers file', () => {
  const SERVERS = `# Server Name or Client/Server pair\t\tKey
10.0.0.1	s3cret-one
10.0.0.2:1645	s3cret-two
radius2.example	other extra
lonely
`;

  it('reads host secret lines; warns (without the secret) on short or long lines', () => {
    const { value, warnings } = parseRadiusServers(SERVERS, 'servers');
    expect(value.map((e) => [e.server, e.secret])).toEqual([
      ['10.0.0.1', 's3cret-one'],
      ['10.0.0.2:1645', 's3cret-two'],
      ['radius2.example', 'other'],
    ]);
    expect(warnings.map((w) => `${w.line}: ${w.message}`)).toEqual([
      '4: 1 word(s) after the secret ignored',
      '5: expected "server secret", got 1 word; line ignored',
    ]);
    expect(lookupRadiusSecret(value, '10.0.0.2', 1645)).toBe('s3cret-two');
    expect(lookupRadiusSecret(value, '10.0.0.1', 1813)).toBe('s3cret-one');
    expect(lookupRadiusSecret(value, '10.0.0.9', 1812)).toBeUndefined();
  });

  it('every server gets its secret, or ConfigError at its line', () => {
    const conf = parseRadiusClientConf(CONF, 'r.conf').value;
    const secrets = parseRadiusServers(SERVERS, 'servers').value;
    const r = resolveRadiusSecrets(conf, secrets, 'r.conf');
    expect(r.authServers.map((s) => s.secret)).toEqual(['s3cret-one', 's3cret-two', 'other']);
    expect(r.acctServers.map((s) => s.secret)).toEqual(['inline-secret']);
    expect(() => resolveRadiusSecrets(conf, secrets.slice(1), 'r.conf')).toThrow(/no secret for 10\.0\.0\.1:1812/);
  });
});
