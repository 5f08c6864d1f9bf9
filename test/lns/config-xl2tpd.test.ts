// xl2tpd.conf parser: every key of xl2tpd's keyword table, xl2tpd's syntax rules, errors with
// file:line, unknown keys as warnings. Vectors: test/vectors/config/ (provenance in its README).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/lns/config/config-error.js';
import { parseXl2tpdConf, XL2TPD_KEYS } from '../../src/lns/config/xl2tpd-conf.js';

const vector = (name: string) => readFileSync(new URL(`../vectors/config/${name}`, import.meta.url), 'utf8');

function errorOf(text: string, file = 'xl2tpd.conf'): ConfigError {
  try {
    parseXl2tpdConf(text, file);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('parseXl2tpdConf', () => {
  it("parses the OpenWrt how-to's xl2tpd.conf exactly, with no warnings", () => {
    const { value, warnings } = parseXl2tpdConf(vector('xl2tpd.conf'), 'xl2tpd.conf');
    expect(warnings).toEqual([]);
    expect(value).toEqual({
      global: { port: 1701, authFile: '/etc/xl2tpd/xl2tp-secrets', accessControl: false },
      lns: [
        {
          name: 'default',
          line: 8,
          exclusive: true,
          ipRanges: [{ start: '10.1.20.31', end: '10.1.20.50', allow: true }],
          localIpRanges: [],
          lacs: [],
          hiddenBit: false,
          localIp: '10.1.20.30',
          lengthBit: true,
          requireChap: true,
          refusePap: true,
          authName: 'vpn',
          pppDebug: true,
          pppOptFile: '/etc/ppp/options.xl2tpd',
        },
      ],
      lac: [],
    });
  });

  it("parses the peers harness's real xl2tpd LNS config (two [lns] sections, debug keys, lac, challenge)", () => {
    const { value, warnings } = parseXl2tpdConf(vector('peers-xl2tpd-lns.conf'), 'x.conf');
    // The debug keys are set to yes: they act (L2TP debug lines), so no "no effect" warning.
    expect(warnings).toEqual([]);
    expect(value.global).toEqual({
      listenAddr: '10.201.2.1',
      port: 1701,
      authFile: '/tmp/pk-work.b3Idp3/xl2tpd-lns/l2tp-secrets',
      accessControl: false,
      debugAvp: true,
      debugNetwork: true,
      debugState: true,
      debugTunnel: true,
    });
    expect(value.lns.map((s) => s.name)).toEqual(['default', 'secure']);
    const secure = value.lns[1]!;
    expect(secure.lacs).toEqual([{ start: '10.201.2.3', end: '10.201.2.3', allow: true }]);
    expect(secure.challenge).toBe(true);
    expect(secure.hiddenBit).toBe(true);
    expect(secure.requireAuthentication).toBe(true);
    expect(secure.hostname).toBe('pk-xl2tpd-secure');
  });

  it('listen-addr takes IPv6 too (xl2tpd: IPv4 only), canonicalised', () => {
    expect(parseXl2tpdConf('[global]\nlisten-addr = ::\n', 'x.conf').value.global.listenAddr).toBe('::');
    expect(parseXl2tpdConf('[global]\nlisten-addr = FD00:0:0::1\n', 'x.conf').value.global.listenAddr).toBe('fd00::1');
  });

  it('accepts every key of the [global] section', () => {
    const text = [
      '[global]',
      'listen-addr = 192.0.2.1',
      'port = 1702',
      'auth file = /etc/xl2tpd/l2tp-secrets',
      'access control = yes',
      'max retries = 7',
      'cap backoff = 8',
      'ipsec saref = yes',
      'saref refinfo = 30',
      'force userspace = yes',
      'rand source = dev',
      'debug avp = yes',
      'debug network = y',
      'debug packet = TRUE',
      'debug tunnel = no',
      'debug state = n',
    ].join('\n');
    const { value, warnings } = parseXl2tpdConf(text, 'g.conf');
    expect(value.global).toEqual({
      listenAddr: '192.0.2.1',
      port: 1702,
      authFile: '/etc/xl2tpd/l2tp-secrets',
      accessControl: true,
      maxRetries: 7,
      capBackoff: 8,
      ipsecSaref: true,
      sarefRefinfo: 30,
      forceUserspace: true,
      randSource: 'dev',
      debugAvp: true,
      debugNetwork: true,
      debugPacket: true,
      debugTunnel: false,
      debugState: false,
    });
    // ipsec saref, saref refinfo and rand source are accepted with one "no effect" warning each;
    // the debug keys act (L2TP debug lines, lns/l2tp-debug.ts), so they say nothing.
    expect(warnings.map((w) => w.message.split(':')[0])).toEqual(['ipsec saref', 'saref refinfo', 'rand source']);
    expect(warnings[0]!.message).toContain('no effect');
  });

  it('accepts every key of an [lns] section', () => {
    const text = [
      '[lns default]',
      'ip range = 10.0.0.1-10.0.0.20',
      'no ip range = 10.0.0.3-9',
      'ip range = 10.0.0.5, 10.0.1.1-10.0.1.2',
      'local ip = 10.0.0.254',
      'assign ip = yes',
      'lac = 192.0.2.4 - 192.0.2.8',
      'no lac = 192.0.2.6',
      'exclusive = yes',
      'hidden bit = yes',
      'length bit = yes',
      'flow bit = yes',
      'challenge = yes',
      'tunnel rws = 8',
      'call rws = -1',
      'require pap = no',
      'require chap = yes',
      'require authentication = yes',
      'refuse pap = yes',
      'refuse chap = no',
      'refuse authentication = no',
      'unix authentication = no',
      'name = vpn',
      'hostname = lns.example',
      'ppp debug = yes',
      'pass peer = yes',
      'pppoptfile = /etc/ppp/options.xl2tpd',
      'tx bps = 100000000',
      'rx bps = 50000000',
    ].join('\n');
    const { value, warnings } = parseXl2tpdConf(text, 'n.conf');
    // Keys parsed but not acted on say so (issue 9: file:line for each).
    expect(warnings.map((w) => w.message.split(':')[0])).toEqual(['call rws', 'pass peer', 'tx bps', 'rx bps']);
    expect(value.lns[0]).toEqual({
      name: 'default',
      line: 1,
      ipRanges: [
        { start: '10.0.0.1', end: '10.0.0.20', allow: true },
        { start: '10.0.0.3', end: '10.0.0.9', allow: false },
        { start: '10.0.0.5', end: '10.0.0.5', allow: true },
        { start: '10.0.1.1', end: '10.0.1.2', allow: true },
      ],
      localIp: '10.0.0.254',
      localIpRanges: [],
      assignIp: true,
      lacs: [
        { start: '192.0.2.4', end: '192.0.2.8', allow: true },
        { start: '192.0.2.6', end: '192.0.2.6', allow: false },
      ],
      exclusive: true,
      hiddenBit: true,
      lengthBit: true,
      flowBit: true,
      challenge: true,
      tunnelRws: 8,
      callRws: -1,
      requirePap: false,
      requireChap: true,
      requireAuthentication: true,
      refusePap: true,
      refuseChap: false,
      refuseAuthentication: false,
      unixAuthentication: false,
      authName: 'vpn',
      hostname: 'lns.example',
      pppDebug: true,
      passPeer: true,
      pppOptFile: '/etc/ppp/options.xl2tpd',
      txBps: 100000000,
      rxBps: 50000000,
    });
  });

  it('accepts every key of a [lac] section (and bps sets both speeds)', () => {
    const text = [
      '[lac uml]',
      'lns = 10.200.1.1',
      'lns = lns.example:1702',
      'name = alice',
      'hostname = lac-1',
      'redial = yes',
      'redial timeout = 15',
      'max redials = 5',
      'autodial = yes',
      'hidden bit = no',
      'length bit = yes',
      'challenge = yes',
      'require chap = yes',
      'refuse pap = yes',
      'require authentication = no',
      'ppp debug = yes',
      'pppoptfile = /etc/ppp/options.l2tpd.client',
      'tunnel rws = 4',
      'call rws = 4',
      'local ip = 10.9.0.2',
      'remote ip = 10.9.0.1',
      'defaultroute = yes',
      'bps = 1000',
    ].join('\n');
    const { value, warnings } = parseXl2tpdConf(text, 'c.conf');
    expect(warnings.map((w) => w.message.split(':')[0])).toEqual(['call rws', 'bps']);
    expect(value.lac[0]).toMatchObject({
      name: 'uml',
      lns: [
        { host: '10.200.1.1', port: 1701 },
        { host: 'lns.example', port: 1702 },
      ],
      authName: 'alice',
      hostname: 'lac-1',
      redial: true,
      redialTimeout: 15,
      maxRedials: 5,
      autodial: true,
      hiddenBit: false,
      lengthBit: true,
      challenge: true,
      requireChap: true,
      refusePap: true,
      requireAuthentication: false,
      pppDebug: true,
      pppOptFile: '/etc/ppp/options.l2tpd.client',
      tunnelRws: 4,
      callRws: 4,
      localIp: '10.9.0.2',
      remoteIp: '10.9.0.1',
      defaultroute: true,
      txBps: 1000,
      rxBps: 1000,
    });
  });

  it("follows xl2tpd's syntax: ';' comments anywhere, '#' comment lines, any case, spaces, merged sections", () => {
    const text = [
      '# a comment line',
      '  [GLOBAL]   ; trailing comment',
      '  PORT   =   1701   ; the port',
      '[lns default]',
      'IP  Range = 10.0.0.1-10.0.0.2',
      '[lac a]',
      'lns = 10.0.0.9',
      '[LNS Default]',
      'local ip = 10.0.0.100',
      'name = x;y',
    ].join('\r\n');
    const { value, warnings } = parseXl2tpdConf(text, 'x.conf');
    expect(warnings).toEqual([]);
    expect(value.global.port).toBe(1701);
    expect(value.lns).toHaveLength(1);
    expect(value.lns[0]).toMatchObject({ localIp: '10.0.0.100', authName: 'x', ipRanges: [{ start: '10.0.0.1' }] });
  });

  it('takes values literally (no quote removal, as xl2tpd)', () => {
    const { value } = parseXl2tpdConf('[lns default]\nname = "vpn server"\n', 'x.conf');
    expect(value.lns[0]!.authName).toBe('"vpn server"');
  });

  it('warns about unknown keys with their line, and goes on', () => {
    const { value, warnings } = parseXl2tpdConf(
      '[global]\nport = 1701\nbogus key = 1\n[lns default]\nfoo=bar\n',
      'x.conf',
    );
    expect(value.global.port).toBe(1701);
    expect(warnings).toEqual([
      { file: 'x.conf', line: 3, message: 'unknown key "bogus key" ignored (xl2tpd would refuse to start)' },
      { file: 'x.conf', line: 5, message: 'unknown key "foo" ignored (xl2tpd would refuse to start)' },
    ]);
  });

  it('knows all 54 keys of the xl2tpd keyword table (file.c words[])', () => {
    expect(XL2TPD_KEYS).toHaveLength(54);
  });

  const malformed: [string, string, number, string][] = [
    ['bad integer', '[global]\nport = abc\n', 2, 'port: expected an integer 0..65535, got "abc"'],
    ['port out of range', '[global]\n\nport = 70000\n', 3, 'port: expected an integer 0..65535, got "70000"'],
    ['bad boolean', '[lns default]\nexclusive = maybe\n', 2, 'exclusive: expected yes or no, got "maybe"'],
    [
      'bad address',
      '[global]\nlisten-addr = 10.0.0.300\n',
      2,
      'listen-addr: expected an IPv4 or IPv6 address, got "10.0.0.300"',
    ],
    ['host name', '[lns default]\nlocal ip = gateway\n', 2, 'host names are not resolved'],
    [
      'reversed range',
      '[lns default]\nip range = 10.0.0.9-10.0.0.1\n',
      2,
      'ip range: range start is greater than its end',
    ],
    ['bad range end', '[lns default]\nip range = 10.0.0.1-x\n', 2, 'ip range: expected an IPv4 range'],
    ['empty range', '[lns default]\nip range =\n', 2, 'ip range: expected an IPv4 address or range, got nothing'],
    ['tunnel rws 0', '[lns default]\ntunnel rws = 0\n', 2, 'tunnel rws: expected an integer 1..65535'],
    ['call rws -2', '[lns default]\ncall rws = -2\n', 2, 'call rws: expected an integer -1..65535'],
    ['empty auth file', '[global]\nauth file =\n', 2, 'auth file: expected a value'],
    ['no =', '[global]\nport 1701\n', 2, 'expected "key = value", got "port 1701"'],
    ['no section', 'port = 1701\n', 1, '"port" before any [global], [lns] or [lac] section'],
    ['unknown section', '[server]\n', 1, 'unknown section [server]'],
    ['no closing bracket', '[global\n', 1, 'no closing bracket'],
    ['wrong context', '[global]\nip range = 10.0.0.1\n', 2, 'ip range: not valid in [global] (only in [lns])'],
    ['lns-only key in lac', '[lac x]\nexclusive = yes\n', 2, 'exclusive: not valid in [lac]'],
    ['local ip + range', '[lns d]\nlocal ip range = 10.0.0.1-2\nlocal ip = 10.0.0.9\n', 3, 'mutually exclusive'],
    ['rand source', '[global]\nrand source = coin\n', 2, 'rand source: expected dev, sys or egd'],
    ['bad lns', '[lac x]\nlns = a:b:c\n', 2, 'lns: expected host[:port]'],
  ];
  for (const [name, text, line, message] of malformed) {
    it(`refuses ${name} with ConfigError at line ${line}`, () => {
      const e = errorOf(text);
      expect(e.code).toBe('ERR_L2TP_CONFIG');
      expect(e.file).toBe('xl2tpd.conf');
      expect(e.line).toBe(line);
      expect(e.message).toContain(message);
      expect(e.toString()).toBe(`xl2tpd.conf:${line}: ${e.message}`);
    });
  }
});
