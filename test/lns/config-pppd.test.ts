// pppd options parser: the seed's options.xl2tpd, every option the LNS acts on, pppd's word syntax,
// unknown options as warnings, invalid values as ConfigError with the line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/lns/config/config-error.js';
import { PPP_OPTION_NAMES, parsePppOptions } from '../../src/lns/config/pppd-options.js';
import { pppWords } from '../../src/lns/config/pppd-tokens.js';

const vector = (name: string) => readFileSync(new URL(`../vectors/config/${name}`, import.meta.url), 'utf8');

function errorOf(text: string): ConfigError {
  try {
    parsePppOptions(text, 'options.xl2tpd');
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('pppWords (pppd options.c getword)', () => {
  it('splits on any whitespace, drops # comments, keeps quoted text and escapes', () => {
    const words = pppWords('a b\t"c d" # comment "x"\n\'e#f\' g\\ h "i\\"j" k\\\nl\n#x\n m\\ssp \\101');
    expect(words.map((w) => [w.text, w.line])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c d', 1],
      ['e#f', 2],
      ['g h', 2],
      ['i"j', 2],
      ['kl', 2],
      ['m sp', 5],
      ['A', 5],
    ]);
    expect(words[2]!.quoted).toBe(true);
  });
});

describe('parsePppOptions', () => {
  it("parses the OpenWrt how-to's options.xl2tpd exactly, with no warnings", () => {
    const { value, warnings } = parsePppOptions(vector('options.xl2tpd'), 'options.xl2tpd');
    expect(warnings).toEqual([]);
    expect(value).toEqual({
      authRequired: { value: true, line: 12 },
      require: [{ protocol: 'mschap-v2', line: 12 }],
      refuse: [],
      msDns: ['192.168.1.1'],
      msWins: [],
      dump: true,
      logfd: 2,
      mtu: 1400,
      mru: 1400,
      lcpEchoFailure: 12,
      lcpEchoInterval: 5,
      rejectCcp: true,
      options: [
        { name: 'lock', args: [], line: 1 },
        { name: 'noauth', args: [], line: 2 },
        { name: 'dump', args: [], line: 4 },
        { name: 'logfd', args: ['2'], line: 5 },
        { name: 'mtu', args: ['1400'], line: 7 },
        { name: 'mru', args: ['1400'], line: 8 },
        { name: 'ms-dns', args: ['192.168.1.1'], line: 9 },
        { name: 'lcp-echo-failure', args: ['12'], line: 10 },
        { name: 'lcp-echo-interval', args: ['5'], line: 11 },
        { name: 'require-mschap-v2', args: [], line: 12 },
        { name: 'nomppe', args: [], line: 13 },
      ],
    });
  });

  it('parses the classic how-to options (several per line, quoted name, ms-wins, idle, connect-delay)', () => {
    const { value, warnings } = parsePppOptions(vector('options.classic'), 'options.classic');
    expect(warnings).toEqual([]);
    expect(value).toMatchObject({
      ipcpAcceptLocal: true,
      ipcpAcceptRemote: true,
      msDns: ['8.8.8.8', '8.8.4.4'],
      msWins: ['192.168.3.4'],
      rejectCcp: true,
      authRequired: { value: true, line: 27 },
      idle: 1800,
      mtu: 1410,
      mru: 1410,
      defaultroute: false,
      debug: true,
      proxyarp: true,
      connectDelay: 5000,
      lcpEchoInterval: 30,
      lcpEchoFailure: 4,
      name: 'l2tpd',
      refuse: [{ protocol: 'pap', line: 26 }],
      require: [{ protocol: 'mschap-v2', line: 27 }],
    });
    expect(value.options.filter((o) => o.line === 24).map((o) => o.name)).toEqual(['nobsdcomp', 'nodeflate', 'novj']);
  });

  it('acts on every option the LNS uses', () => {
    const text = [
      'auth debug dump logfd 2 logfile /var/log/ppp.log',
      'mtu 1400 mru 1410',
      'ms-dns 10.0.0.53 ms-dns 10.0.0.54 ms-wins 10.0.0.55 ms-wins 10.0.0.56',
      'lcp-echo-interval 5 lcp-echo-failure 12 lcp-restart 2 lcp-max-configure 9',
      'lcp-max-terminate 3 lcp-max-failure 4 chap-restart 4 pap-timeout 20',
      'require-pap require-chap require-mschap require-mschap-v2 require-eap',
      'refuse-pap refuse-chap refuse-mschap refuse-mschap-v2 refuse-eap',
      '+ipv6 noccp name lns1 proxyarp idle 600 maxconnect 3600 connect-delay 5000 holdoff 3 maxfail 2',
      'ipcp-accept-local ipcp-accept-remote defaultroute 10.1.20.30:10.1.20.99',
    ].join('\n');
    const { value, warnings } = parsePppOptions(text, 'o');
    expect(warnings).toEqual([]);
    const { options, ...rest } = value;
    expect(options).toHaveLength(42);
    expect(rest).toEqual({
      authRequired: { value: true, line: 6 },
      debug: true,
      dump: true,
      logfd: 2,
      logfile: '/var/log/ppp.log',
      mtu: 1400,
      mru: 1410,
      msDns: ['10.0.0.53', '10.0.0.54'],
      msWins: ['10.0.0.55', '10.0.0.56'],
      lcpEchoInterval: 5,
      lcpEchoFailure: 12,
      lcpRestart: 2,
      lcpMaxConfigure: 9,
      lcpMaxTerminate: 3,
      lcpMaxFailure: 4,
      chapRestart: 4,
      papTimeout: 20,
      require: ['pap', 'chap', 'mschap', 'mschap-v2', 'eap'].map((protocol) => ({ protocol, line: 6 })),
      refuse: ['pap', 'chap', 'mschap', 'mschap-v2', 'eap'].map((protocol) => ({ protocol, line: 7 })),
      ipv6: true,
      rejectCcp: true,
      name: 'lns1',
      proxyarp: true,
      idle: 600,
      maxconnect: 3600,
      connectDelay: 5000,
      holdoff: 3,
      maxfail: 2,
      ipcpAcceptLocal: true,
      ipcpAcceptRemote: true,
      defaultroute: true,
      localIp: '10.1.20.30',
      remoteIp: '10.1.20.99',
    });
  });

  it('the last of auth/noauth/require-* wins (pppd OPT_PRIOSUB order)', () => {
    expect(parsePppOptions('require-chap\nnoauth\n', 'o').value.authRequired).toEqual({ value: false, line: 2 });
    expect(parsePppOptions('noauth\n+mschap-v2\n', 'o').value.authRequired).toEqual({ value: true, line: 2 });
    expect(parsePppOptions('-ipv6 +pap -chap\n', 'o').value).toMatchObject({
      ipv6: false,
      require: [{ protocol: 'pap' }],
      refuse: [{ protocol: 'chap' }],
    });
  });

  it('accepts serial-line and client options silently, and warns about ones that change behaviour', () => {
    const silent =
      'lock crtscts modem nodetach persist asyncmap 0 noipx hide-password nobsdcomp nodeflate novj noipdefault';
    expect(parsePppOptions(silent, 'o').warnings).toEqual([]);
    // (plugin radius.so is acted on since issue 11: test/lns/radius-config.test.ts; other plugins still warn.)
    const { warnings } = parsePppOptions('require-mppe-128\nplugin rp-pppoe.so\nfile /etc/ppp/x\n', 'o');
    expect(warnings.map((w) => [w.line, w.message.split(':')[0]])).toEqual([
      [1, 'require-mppe-128'],
      [2, 'plugin'],
      [3, 'file'],
    ]);
  });

  it('warns about unknown options with their line and takes the rest of that line as their arguments', () => {
    const { value, warnings } = parsePppOptions('mtu 1400\nfrobnicate 1 2\nmru 1400\n', 'options.xl2tpd');
    expect(warnings).toEqual([
      { file: 'options.xl2tpd', line: 2, message: 'unknown pppd option "frobnicate" ignored' },
    ]);
    expect(value.mru).toBe(1400);
    expect(value.options[1]).toEqual({ name: 'frobnicate', args: ['1', '2'], line: 2 });
  });

  it('keeps only two ms-dns (RFC 1877 primary and secondary), with a warning for the third', () => {
    const { value, warnings } = parsePppOptions('ms-dns 1.1.1.1\nms-dns 2.2.2.2\nms-dns 3.3.3.3\n', 'o');
    expect(value.msDns).toEqual(['1.1.1.1', '2.2.2.2']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.line).toBe(3);
  });

  const malformed: [string, string, number, string][] = [
    ['a non-numeric mtu', 'lock\n\nmtu abc\n', 3, 'mtu: expected an integer 128..16384, got "abc"'],
    ['an mru below MINMRU', 'mru 64\n', 1, 'mru: expected an integer 128..16384, got "64"'],
    ['an mtu above MAXMRU', 'mtu 65536\n', 1, 'mtu: expected an integer 128..16384'],
    ['a bad ms-dns', 'ms-dns 8.8.8\n', 1, 'ms-dns: expected an IPv4 address, got "8.8.8"'],
    ['a bad ms-wins', '\nms-wins dns.example\n', 2, 'ms-wins: expected an IPv4 address'],
    ['a negative lcp-echo-interval', 'lcp-echo-interval -5\n', 1, 'lcp-echo-interval: expected an integer'],
    ['a bad lcp-echo-failure', 'lcp-echo-failure x\n', 1, 'lcp-echo-failure: expected an integer'],
    ['a missing argument', 'mtu 1400\nname\n', 2, 'name: expected an argument, got end of file'],
    ['a bad address pair', '10.0.0.1:10.0.0.x\n', 1, 'expected local:remote IPv4 addresses'],
    ['a bad idle', 'idle forever\n', 1, 'idle: expected an integer'],
  ];
  for (const [name, text, line, message] of malformed) {
    it(`refuses ${name} with ConfigError at line ${line}`, () => {
      const e = errorOf(text);
      expect(e.code).toBe('ERR_L2TP_CONFIG');
      expect([e.file, e.line]).toEqual(['options.xl2tpd', line]);
      expect(e.message).toContain(message);
    });
  }

  it('the ConfigError prints as file:line: reason', () => {
    expect(errorOf(`${'\n'.repeat(11)}mtu abc\n`).toString()).toBe(
      'options.xl2tpd:12: mtu: expected an integer 128..16384, got "abc"',
    );
  });

  it('knows the pppd options of the seed and of common L2TP/IPsec how-tos (lock … noipx, hide-password, nobsdcomp, nodeflate, novj)', () => {
    for (const name of [
      'lock',
      'noauth',
      'auth',
      'debug',
      'dump',
      'logfd',
      'logfile',
      'mtu',
      'mru',
      'ms-dns',
      'ms-wins',
    ]) {
      expect(PPP_OPTION_NAMES).toContain(name);
    }
    for (const name of [
      'nomppe',
      'noccp',
      '+ipv6',
      'name',
      'proxyarp',
      'idle',
      'connect-delay',
      'crtscts',
      'maxfail',
    ]) {
      expect(PPP_OPTION_NAMES).toContain(name);
    }
    for (const name of ['ipcp-accept-local', 'nodefaultroute', 'defaultroute', 'noipdefault', 'nodetach', 'persist']) {
      expect(PPP_OPTION_NAMES).toContain(name);
    }
  });
});
