// The native JSON config: LnsSettings keys over the defaults, precise path + reason errors.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/lns/config/config-error.js';
import { JSON_CONFIG_KEYS, parseJsonConfig, settingsToJson } from '../../src/lns/config/json-config.js';
import { DEFAULT_LNS_SETTINGS } from '../../src/lns/config/settings.js';

function errorOf(text: string): ConfigError {
  try {
    parseJsonConfig(text, 'lns.json');
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('parseJsonConfig', () => {
  it("an empty object gives DEFAULT_LNS_SETTINGS, without pppd's ip-up/ip-down paths and dump", () => {
    expect(parseJsonConfig('{}', 'lns.json')).toEqual({
      value: {
        ...DEFAULT_LNS_SETTINGS,
        ipUpScript: undefined,
        ipDownScript: undefined,
        ipv6UpScript: undefined,
        ipv6DownScript: undefined,
        dump: false,
      },
      warnings: [],
    });
    expect(DEFAULT_LNS_SETTINGS.ipUpScript).toBe('/etc/ppp/ip-up');
    const named = parseJsonConfig('{"ipUpScript": "/srv/up", "hookTimeoutMs": 500}', 'lns.json').value;
    expect(named).toMatchObject({ ipUpScript: '/srv/up', ipDownScript: undefined, hookTimeoutMs: 500 });
  });

  it('namedPools: name → ranges (for RADIUS Framed-Pool); bad names and empty lists are refused', () => {
    const v = parseJsonConfig('{"namedPools": {"gold": ["10.40.0.5-10.40.0.6"]}}', 'lns.json').value;
    expect(v.namedPools).toEqual({ gold: [{ start: '10.40.0.5', end: '10.40.0.6' }] });
    expect(() => parseJsonConfig('{"namedPools": {"a b": ["10.0.0.1-10.0.0.2"]}}', 'lns.json')).toThrow(/pool name/);
    expect(() => parseJsonConfig('{"namedPools": {"gold": []}}', 'lns.json')).toThrow(/at least one range/);
    expect(() => parseJsonConfig('{"namedPools": []}', 'lns.json')).toThrow(/pool name → ranges/);
  });

  it('listenAddress: IPv4 or IPv6, in one spelling (:: serves both families)', () => {
    expect(parseJsonConfig('{"listenAddress": "::"}', 'lns.json').value.listenAddress).toBe('::');
    expect(parseJsonConfig('{"listenAddress": "2001:DB8:0::1"}', 'lns.json').value.listenAddress).toBe('2001:db8::1');
    expect(() => parseJsonConfig('{"listenAddress": "2001:db8::g"}', 'lns.json')).toThrow(
      /listenAddress: expected an IPv4 or IPv6 address/,
    );
  });

  it('overrides keys, accepts both range forms, users as string or object, deny rules', () => {
    const text = JSON.stringify({
      listenAddress: '0.0.0.0',
      poolRanges: ['10.2.0.10-20', { start: '10.2.1.1', end: '10.2.1.2' }],
      localAddress: '10.2.0.1',
      authMethods: ['mschapv2', 'pap'],
      dns: ['9.9.9.9'],
      lacAccess: ['192.0.2.0-192.0.2.255', '!192.0.2.7'],
      tunnelSecrets: [{ them: 'lac1', secret: 's' }],
      retransmitCapMs: null,
      debug: { avp: true },
      users: { alice: 'pw', bob: { secret: 'b', staticAddress: '10.2.0.99' } },
    });
    const { value, warnings } = parseJsonConfig(text, 'lns.json');
    expect(warnings).toEqual([]);
    expect(value).toMatchObject({
      listenAddress: '0.0.0.0',
      poolRanges: [
        { start: '10.2.0.10', end: '10.2.0.20' },
        { start: '10.2.1.1', end: '10.2.1.2' },
      ],
      localAddress: '10.2.0.1',
      authRequired: true,
      authMethods: ['mschapv2', 'pap'],
      dns: ['9.9.9.9'],
      lacAccess: [
        { start: '192.0.2.0', end: '192.0.2.255', allow: true },
        { start: '192.0.2.7', end: '192.0.2.7', allow: false },
      ],
      tunnelSecrets: [{ us: '*', them: 'lac1', secret: 's', line: 0 }],
      retransmitCapMs: undefined,
      debug: { avp: true, network: false, packet: false, tunnel: false, state: false },
      mtu: 1400,
    });
    expect([...value.users]).toEqual([
      ['alice', { secret: 'pw' }],
      ['bob', { secret: 'b', staticAddress: '10.2.0.99' }],
    ]);
    expect(parseJsonConfig('{"authMethods": []}', 'x').value).toMatchObject({ authRequired: false, authMethods: [] });
  });

  it('logFile, logFd, dump and debug keys (pppd logfile/logfd/dump, xl2tpd debug *)', () => {
    const text = '{"logFile":"/tmp/l.log","logFd":null,"dump":true,"debug":{"avp":true}}';
    expect(parseJsonConfig(text, 'c.json').value).toMatchObject({
      logFile: '/tmp/l.log',
      logFd: undefined,
      dump: true,
      debug: { avp: true, network: false, packet: false, tunnel: false, state: false },
    });
    expect(() => parseJsonConfig('{"logFd":-1}', 'c.json')).toThrow(/logFd: expected an integer/);
  });

  it('round-trips through settingsToJson', () => {
    const { value } = parseJsonConfig('{"users": {"u": {"secret": "p", "staticAddress": "10.1.20.40"}}}', 'x');
    expect(parseJsonConfig(settingsToJson(value), 'y').value).toEqual(value);
    expect(JSON_CONFIG_KEYS).toEqual(Object.keys(DEFAULT_LNS_SETTINGS));
  });

  it('warns about unknown keys with the line of the key', () => {
    const { warnings } = parseJsonConfig('{\n  "port": 1701,\n  "prot": 1\n}', 'lns.json');
    expect(warnings).toEqual([{ file: 'lns.json', line: 3, message: '$.prot: unknown key ignored' }]);
  });

  const malformed: [string, string, number, string][] = [
    ['bad JSON', '{\n  "port": 1701,\n}', 3, 'invalid JSON'],
    ['a non-object', '[1]', 1, '$: expected an object, got [1]'],
    ['a string port', '{\n"port": "1701"}', 2, '$.port: expected an integer 0..65535, got "1701"'],
    ['an mtu too big', '{"mtu": 20000}', 1, '$.mtu: expected an integer 128..16384, got 20000'],
    ['a bad dns', '{"dns": ["1.1.1.1", "x"]}', 1, '$.dns[1]: expected an IPv4 address, got "x"'],
    ['three dns', '{"dns": ["1.1.1.1", "1.1.1.2", "1.1.1.3"]}', 1, '$.dns: expected at most 2 entries, got 3'],
    ['a bad method', '{"authMethods": ["eap"]}', 1, '$.authMethods[0]: expected "mschapv2", "chap" or "pap"'],
    [
      'a user secret number',
      '{\n\n"users": {"alice": {"secret": 5}}}',
      3,
      '$.users.alice.secret: expected a string, got 5',
    ],
    ['a user unknown key', '{"users": {"alice": {"secret": "x", "ip": "1"}}}', 1, '$.users.alice.ip: unknown key'],
    [
      'a reversed range',
      '{"poolRanges": ["10.0.0.9-10.0.0.1"]}',
      1,
      '$.poolRanges[0]: range start is greater than its end',
    ],
    ['auth without methods', '{"authRequired": true, "authMethods": []}', 1, '$.authRequired: true needs at least one'],
    ['a bad debug key', '{"debug": {"ppp": true}}', 1, '$.debug.ppp: unknown key'],
  ];
  for (const [name, text, line, message] of malformed) {
    it(`refuses ${name} with path and reason`, () => {
      const e = errorOf(text);
      expect([e.code, e.file, e.line]).toEqual(['ERR_L2TP_CONFIG', 'lns.json', line]);
      expect(e.message).toContain(message);
    });
  }
});
