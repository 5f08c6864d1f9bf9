// resolveLnsSettings / DEFAULT_LNS_SETTINGS: the seed's exact files give the seed's model; xl2tpd's
// and pppd's rules for auth (REPORT.md pitfall 8), users, pools and defaults.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AddressPool } from '../../src/lns/address-pool.js';
import { parseChapSecrets } from '../../src/lns/config/chap-secrets.js';
import { ConfigError } from '../../src/lns/config/config-error.js';
import { parsePppOptions } from '../../src/lns/config/pppd-options.js';
import { SEED_CHAP_SECRETS, SEED_OPTIONS_XL2TPD, SEED_XL2TPD_CONF } from '../../src/lns/config/seed.js';
import {
  DEFAULT_LNS_SETTINGS,
  type LnsSettings,
  lacAllowed,
  loadLnsSettings,
  lookupUser,
  referencedFiles,
  resolveLnsSettings,
  tunnelSecretFor,
} from '../../src/lns/config/settings.js';
import { parseXl2tpdConf } from '../../src/lns/config/xl2tpd-conf.js';

const vector = (name: string) => readFileSync(new URL(`../vectors/config/${name}`, import.meta.url), 'utf8');

const SEED_SETTINGS: LnsSettings = {
  listenAddress: '0.0.0.0',
  port: 1701,
  hostName: 'l2tp-ts',
  authName: 'vpn',
  challenge: false,
  hideAvps: false,
  dataLengthBit: true,
  sequencing: false,
  receiveWindow: 16, // issue 10 item 1: DEFAULT_RECEIVE_WINDOW (was xl2tpd's 4); `tunnel rws` overrides
  maxRetries: 5,
  retransmitCapMs: undefined,
  accessControl: false,
  lacAccess: [],
  exclusive: true,
  singleSession: false,
  networkPhaseTimeoutMs: 60_000,
  authFailureLimit: 5,
  authFailureWindowMs: 60_000,
  authBlockMs: 60_000,
  tunnelSecrets: [],
  assignIp: true,
  poolRanges: [{ start: '10.1.20.31', end: '10.1.20.50' }],
  localAddress: '10.1.20.30',
  localRanges: [],
  namedPools: {},
  mssClamp: undefined,
  authRequired: true,
  authMethods: ['mschapv2'],
  mtu: 1400,
  mru: 1400,
  dns: ['192.168.1.1'],
  wins: [],
  echoIntervalMs: 5000,
  echoFailure: 12,
  restartMs: 3000,
  maxConfigure: 10,
  maxTerminate: 2,
  maxFailure: 5,
  chapRestartMs: 3000,
  papTimeoutMs: 30000,
  ipv6: false,
  ipv6Pool: undefined,
  rejectCcp: true,
  idleSeconds: 0,
  maxConnectSeconds: 0,
  pppDebug: true,
  debug: { avp: false, network: false, packet: false, tunnel: false, state: false },
  logFile: undefined,
  logFd: 2,
  dump: true,
  ipUpScript: '/etc/ppp/ip-up',
  ipDownScript: '/etc/ppp/ip-down',
  ipv6UpScript: '/etc/ppp/ipv6-up',
  ipv6DownScript: '/etc/ppp/ipv6-down',
  ipparam: undefined,
  hookTimeoutMs: 10_000,
  metrics: undefined,
  users: new Map([['username', { secret: 'secret', staticAddress: '10.1.20.32' }]]),
};

const load = (conf: string, options?: string, secrets?: string) =>
  loadLnsSettings({
    conf: { text: conf, file: 'xl2tpd.conf' },
    ...(options !== undefined && { pppOptions: { text: options, file: 'options.xl2tpd' } }),
    ...(secrets !== undefined && { chapSecrets: { text: secrets, file: 'chap-secrets' } }),
  });

describe('resolveLnsSettings', () => {
  it("resolves the seed's three files (OpenWrt how-to) into the full expected settings, without warnings", () => {
    const { value, warnings } = load(vector('xl2tpd.conf'), vector('options.xl2tpd'), vector('chap-secrets'));
    expect(warnings).toEqual([]);
    expect(value).toEqual(SEED_SETTINGS);
  });

  it('the embedded seed equals the vector files', () => {
    expect(SEED_XL2TPD_CONF).toBe(vector('xl2tpd.conf'));
    expect(SEED_OPTIONS_XL2TPD).toBe(vector('options.xl2tpd'));
    expect(SEED_CHAP_SECRETS).toBe(vector('chap-secrets'));
  });

  it('DEFAULT_LNS_SETTINGS is the seed with listen 127.0.0.1 and no users', () => {
    expect(DEFAULT_LNS_SETTINGS).toEqual({ ...SEED_SETTINGS, listenAddress: '127.0.0.1', users: new Map() });
    expect(Object.isFrozen(DEFAULT_LNS_SETTINGS)).toBe(true);
  });

  it('pitfall 8: require chap + require authentication + require-mschap-v2 asks CHAP-MD5 first, with a warning', () => {
    const conf =
      '[lns default]\nip range = 10.0.0.2-10.0.0.9\nlocal ip = 10.0.0.1\nrequire chap = yes\nrequire authentication = yes\n';
    const { value, warnings } = load(conf, 'require-mschap-v2\n');
    expect(value.authMethods).toEqual(['chap', 'mschapv2']);
    expect(warnings.some((w) => w.message.startsWith('CHAP-MD5 is asked for before MS-CHAPv2'))).toBe(true);
  });

  it('xl2tpd passes require chap to pppd only with require authentication = yes', () => {
    const conf = '[lns default]\nlocal ip = 10.0.0.1\nip range = 10.0.0.2-9\nrequire chap = yes\n';
    expect(load(conf, 'auth\nrequire-mschap-v2\n').value.authMethods).toEqual(['mschapv2']);
    expect(load(conf).value).toMatchObject({ authRequired: false, authMethods: [] });
  });

  it('auth alone asks for every supported method in pppd order, minus refused ones (our safe-side deviation)', () => {
    const conf = '[lns default]\nlocal ip = 10.0.0.1\nip range = 10.0.0.2-9\n';
    expect(load(conf, 'auth\n').value.authMethods).toEqual(['chap', 'mschapv2', 'pap']);
    expect(load(conf, 'auth\nrefuse-pap\nrefuse-chap\n').value.authMethods).toEqual(['mschapv2']);
    expect(load(`${conf}refuse pap = yes\nrequire authentication = yes\n`).value.authMethods).toEqual([
      'chap',
      'mschapv2',
    ]);
    expect(load(conf, 'require-pap\nrefuse-pap\n').value.authMethods).toEqual(['pap']);
    expect(load(conf, 'require-mschap-v2\nnoauth\n').value).toMatchObject({ authRequired: false, authMethods: [] });
  });

  it('refuses required authentication with only unsupported methods, at the auth line', () => {
    const conf = '[lns default]\nlocal ip = 10.0.0.1\nip range = 10.0.0.2-9\n';
    try {
      load(conf, 'lock\nrequire-eap\n');
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).toString()).toBe(
        'options.xl2tpd:2: authentication is required but no supported method (mschap-v2, chap, pap) is left',
      );
    }
  });

  it('pools: ip range minus no ip range (last rule wins), several lines and comma lists', () => {
    const conf =
      '[lns default]\nlocal ip = 10.0.0.254\nip range = 10.0.0.1-20\nno ip range = 10.0.0.3-10.0.0.9\nip range = 10.0.0.5, 10.0.1.1-2\n';
    expect(load(conf).value.poolRanges).toEqual([
      { start: '10.0.0.1', end: '10.0.0.2' },
      { start: '10.0.0.5', end: '10.0.0.5' },
      { start: '10.0.0.10', end: '10.0.0.20' },
      { start: '10.0.1.1', end: '10.0.1.2' },
    ]);
  });

  it('no local ip: the first pool address becomes the local address and leaves the pool (warning)', () => {
    const { value, warnings } = load('[lns default]\nip range = 10.0.0.1-10.0.0.3\n');
    expect(value.localAddress).toBe('10.0.0.1');
    expect(value.poolRanges).toEqual([{ start: '10.0.0.2', end: '10.0.0.3' }]);
    expect(warnings.map((w) => w.message)).toContain('no local ip: using 10.0.0.1, the first address of the ip range');
    expect(() => load('[lns default]\nname = x\n')).toThrowError(/no local ip and no ip range/);
  });

  it('local ip range: localRanges for a local address per session, the first as localAddress, the overlap out of the pool (warning)', () => {
    const { value, warnings } = load(
      '[lns default]\nip range = 10.0.0.10-10.0.0.30\nlocal ip range = 10.0.0.1-10.0.0.10\nlocal ip range = 10.0.0.40\n',
    );
    expect(value.localRanges).toEqual([
      { start: '10.0.0.1', end: '10.0.0.10' },
      { start: '10.0.0.40', end: '10.0.0.40' },
    ]);
    expect(value.localAddress).toBe('10.0.0.1');
    expect(value.poolRanges).toEqual([{ start: '10.0.0.11', end: '10.0.0.30' }]);
    expect(warnings.map((w) => w.message)).toEqual([
      'ip range overlaps local ip range: the overlap is used for local addresses only',
    ]);
    // No overlap: no warning; without the key every session uses `local ip`.
    expect(load('[lns default]\nip range = 10.0.0.20-30\nlocal ip range = 10.0.0.1-9\n').warnings).toEqual([]);
    expect(load('[lns default]\nip range = 10.0.0.20-30\nlocal ip = 10.0.0.1\n').value.localRanges).toEqual([]);
  });

  it('users: server column * or our name; an exact server beats *; the * client is the fallback', () => {
    const secrets = 'alice * a1\nalice vpn a2\nbob other b\ncarol vpn c 10.1.20.40\n* * any\nalice * a3\n';
    const { value } = load('[lns default]\nlocal ip = 10.0.0.1\nip range = 10.0.0.2\nname = vpn\n', undefined, secrets);
    expect([...value.users]).toEqual([
      ['alice', { secret: 'a2' }],
      ['carol', { secret: 'c', staticAddress: '10.1.20.40' }],
      ['*', { secret: 'any' }],
    ]);
    expect(lookupUser(value, 'bob')).toEqual({ secret: 'any' });
    expect(lookupUser(value, 'carol')?.staticAddress).toBe('10.1.20.40');
  });

  it('the options file name overrides xl2tpd name (it comes later on pppd argv)', () => {
    const conf = '[lns default]\nlocal ip = 10.0.0.1\nip range = 10.0.0.2\nname = vpn\nhostname = lns.example\n';
    expect(load(conf, 'name l2tpd\n').value).toMatchObject({ authName: 'l2tpd', hostName: 'lns.example' });
    expect(load(conf).value.authName).toBe('vpn');
  });

  it('maps every remaining xl2tpd key into the settings', () => {
    const conf = [
      '[global]',
      'listen-addr = 192.0.2.1',
      'port = 1702',
      'access control = yes',
      'max retries = 9',
      'cap backoff = 4',
      'debug avp = yes',
      'debug packet = yes',
      '[lns default]',
      'local ip = 10.0.0.1',
      'ip range = 10.0.0.2-10.0.0.3',
      'assign ip = no',
      'lac = 192.0.2.0-192.0.2.255',
      'no lac = 192.0.2.7',
      'challenge = yes',
      'hidden bit = yes',
      'flow bit = yes',
      'tunnel rws = 16',
      'exclusive = no',
    ].join('\n');
    const { value } = load(
      conf,
      'ms-wins 10.0.0.53\n+ipv6\nidle 60\nmaxconnect 600\nlogfile /tmp/p.log\nlcp-restart 1\n',
    );
    expect(value).toMatchObject({
      listenAddress: '192.0.2.1',
      port: 1702,
      accessControl: true,
      maxRetries: 9,
      retransmitCapMs: 4000,
      debug: { avp: true, network: false, packet: true, tunnel: false, state: false },
      assignIp: false,
      lacAccess: [
        { start: '192.0.2.0', end: '192.0.2.255', allow: true },
        { start: '192.0.2.7', end: '192.0.2.7', allow: false },
      ],
      challenge: true,
      hideAvps: true,
      sequencing: true,
      receiveWindow: 16,
      exclusive: false,
      wins: ['10.0.0.53'],
      ipv6: true,
      idleSeconds: 60,
      maxConnectSeconds: 600,
      logFile: '/tmp/p.log',
      restartMs: 1000,
      pppDebug: false,
    });
  });

  it('serves [lns default] (or the named section) and warns about the others', () => {
    const text = vector('peers-xl2tpd-lns.conf');
    const conf = parseXl2tpdConf(text, 'p.conf').value;
    const def = resolveLnsSettings({ conf, files: { conf: 'p.conf' } });
    expect(def.value).toMatchObject({ hostName: 'pk-xl2tpd', listenAddress: '10.201.2.1', challenge: false });
    expect(def.warnings.map((w) => w.message)).toContain('[lns secure] ignored: only [lns default] is served');
    const secure = resolveLnsSettings({ conf, section: 'secure' }).value;
    expect(secure).toMatchObject({
      hostName: 'pk-xl2tpd-secure',
      challenge: true,
      hideAvps: true,
      authMethods: ['chap'],
    });
    expect(() => resolveLnsSettings({ conf, section: 'nope' })).toThrowError(/no \[lns nope\] section/);
  });

  it('referencedFiles names the pppoptfile and auth file for the CLI to read', () => {
    const conf = parseXl2tpdConf(SEED_XL2TPD_CONF, 'x').value;
    expect(referencedFiles(conf)).toEqual({
      pppOptFile: '/etc/ppp/options.xl2tpd',
      authFile: '/etc/xl2tpd/xl2tp-secrets',
    });
  });

  it('works from parsed values too (resolveLnsSettings with chap-secrets and options only)', () => {
    const { value } = resolveLnsSettings({
      pppOptions: parsePppOptions('10.9.0.1:\nrequire-pap\n', 'o').value,
      chapSecrets: parseChapSecrets('u * p\n', 'c').value,
    });
    expect(value).toMatchObject({
      localAddress: '10.9.0.1',
      poolRanges: [],
      authMethods: ['pap'],
      users: new Map([['u', { secret: 'p' }]]),
    });
  });
});

describe('settings helpers', () => {
  it('lacAllowed: the last covering lac/no lac rule decides; uncovered LACs only without access control', () => {
    const conf =
      '[global]\naccess control = yes\n[lns default]\nlocal ip = 10.0.0.1\nip range = 10.0.0.2\nlac = 192.0.2.0-255\nno lac = 192.0.2.7\n';
    const s = load(conf).value;
    expect([lacAllowed(s, '192.0.2.8'), lacAllowed(s, '192.0.2.7'), lacAllowed(s, '198.51.100.1')]).toEqual([
      true,
      false,
      false,
    ]);
    expect(lacAllowed({ ...s, accessControl: false }, '198.51.100.1')).toBe(true);
    expect(lacAllowed(DEFAULT_LNS_SETTINGS, '203.0.113.9')).toBe(true);
  });

  it('RFC2661-4.4.3: tunnelSecretFor looks up (our hostName, peer host name) in l2tp-secrets', () => {
    const s = loadLnsSettings({
      conf: { text: '[lns default]\nlocal ip = 10.0.0.1\nhostname = lns1\n', file: 'c' },
      l2tpSecrets: { text: 'lns1 lac1 one\n* * any\n', file: 'l' },
    }).value;
    expect([tunnelSecretFor(s, 'lac1'), tunnelSecretFor(s, 'lac2')]).toEqual(['one', 'any']);
  });

  it('AddressPool.fromSettings excludes the local address and reserves static addresses', () => {
    const { value } = load(vector('xl2tpd.conf'), vector('options.xl2tpd'), vector('chap-secrets'));
    const pool = AddressPool.fromSettings(value);
    expect(pool.size).toBe(19); // 10.1.20.31-50 minus the reserved 10.1.20.32
    expect([pool.allocate('a'), pool.allocate('b')]).toEqual(['10.1.20.31', '10.1.20.33']);
    expect(pool.allocate('u', { user: 'username', staticAddress: lookupUser(value, 'username')?.staticAddress })).toBe(
      '10.1.20.32',
    );
    expect(AddressPool.fromSettings({ ...value, assignIp: false }).size).toBe(0);
  });

  it('pppd logfile / logfd: the later one in the file wins (options.c log_to_fd); dump is kept', () => {
    const conf = '[lns default]\nip range = 10.0.0.2-10.0.0.9\nlocal ip = 10.0.0.1\n';
    expect(load(conf, 'logfd 2\nlogfile /var/log/x.log\n').value).toMatchObject({
      logFile: '/var/log/x.log',
      logFd: undefined,
    });
    expect(load(conf, 'logfile /var/log/x.log\nlogfd 5\n').value).toMatchObject({ logFile: undefined, logFd: 5 });
    expect(load(conf, 'mtu 1400\n').value).toMatchObject({ logFile: undefined, logFd: undefined, dump: false });
    expect(load(conf, 'dump\n').value.dump).toBe(true);
  });

  it("pppd's ip-up-script / ip-down-script / ipv6-up-script / ipv6-down-script / ipparam", () => {
    const conf = '[lns default]\nip range = 10.0.0.2-10.0.0.9\nlocal ip = 10.0.0.1\n';
    const r = load(
      conf,
      'ip-up-script /srv/up\nip-down-script /srv/down\nipparam office\nipv6-up-script /srv/up6\nipv6-down-script /srv/down6\n',
    );
    expect(r.value).toMatchObject({
      ipUpScript: '/srv/up',
      ipDownScript: '/srv/down',
      ipv6UpScript: '/srv/up6',
      ipv6DownScript: '/srv/down6',
      ipparam: 'office',
    });
    expect(r.warnings).toEqual([]);
    expect(load(conf, 'mtu 1400\n').value).toMatchObject({
      ipv6UpScript: '/etc/ppp/ipv6-up',
      ipv6DownScript: '/etc/ppp/ipv6-down',
    });
  });
});
