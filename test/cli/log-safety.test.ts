// Issue 9, logs: peer-controlled text cannot forge, hide or flood a log line (printable), dropped
// datagrams are counted per reason with a bounded source set (DropSummary), and the start
// warnings find (or miss) the IPsec-policy rule in real nft/iptables-save text.
// Related: src/cli/log-text.ts, src/cli/drop-summary.ts, src/cli/start-warnings.ts.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DropSummary } from '../../src/cli/drop-summary.js';
import { firewallRules, iptablesCommands } from '../../src/cli/firewall.js';
import { MAX_LOGGED_TEXT, printable, printableFormatted } from '../../src/cli/log-text.js';
import { ipsecPolicyCovers, isLoopback, startWarnings } from '../../src/cli/start-warnings.js';

describe('printable', () => {
  it('escapes a forged line, a carriage return, a terminal escape and a backslash', () => {
    expect(printable('lac\nsession 1/1 up: user admin')).toBe('lac\\x0asession 1/1 up: user admin');
    expect(printable('a\rb\x1b[2Jc\\d\u2028')).toBe('a\\x0db\\x1b[2Jc\\x5cd\\u2028');
    expect(printable('plain host-1.example')).toBe('plain host-1.example');
  });

  it("printableFormatted keeps a formatter's escapes readable and still escapes a raw control character", () => {
    expect(printableFormatted('rcvd [L2TP SCCRQ <HostName "lac\\x0a1">]', 4096)).toBe(
      'rcvd [L2TP SCCRQ <HostName "lac\\x0a1">]',
    );
    expect(printableFormatted('a\nb\u2028', 4096)).toBe('a\\x0ab\\u2028');
    expect(printableFormatted('x'.repeat(5000), 4096)).toBe(`${'x'.repeat(4096)}…`);
  });

  it('cuts a 64 KiB host name to the bound', () => {
    const out = printable('x'.repeat(65_535));
    expect(out).toBe(`${'x'.repeat(MAX_LOGGED_TEXT)}…`);
  });

  it('property: the result has no control character or line separator, and is bounded', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (s) => {
        const out = printable(s);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the property is about them.
        expect(out).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/);
        expect(out.length).toBeLessThanOrEqual(MAX_LOGGED_TEXT * 6 + 1);
      }),
    );
  });
});

describe('DropSummary', () => {
  it('counts by reason, remembers at most MAX_SOURCES sources, and starts a fresh period on take', () => {
    const d = new DropSummary();
    expect(d.take()).toBeUndefined();
    for (let i = 0; i < 5000; i++)
      d.add(i % 3 === 0 ? 'garbage-short' : 'unknown-tunnel', `10.0.${i >> 8}.${i & 255}:1701`);
    const t = d.take();
    expect(t).toEqual({
      total: 5000,
      byReason: { 'unknown-tunnel': 3333, 'garbage-short': 1667 },
      sources: DropSummary.MAX_SOURCES,
      sourcesCapped: true,
    });
    expect(d.take()).toBeUndefined();
  });
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('start warnings', () => {
  it('ipsecPolicyCovers: our own nft and iptables rules, a set, another port, and a rule set without one', () => {
    // nft prints the table back much as we wrote it.
    expect(ipsecPolicyCovers(firewallRules({ form: 'nft' }), 1701)).toBe(true);
    expect(ipsecPolicyCovers(firewallRules({ form: 'nft', port: 1702 }), 1701)).toBe(false);
    const save = iptablesCommands({ form: 'iptables' })
      .map((c) => c.args.join(' '))
      .join('\n')
      .replace('--dport 1701', '-m udp --dport 1701');
    expect(ipsecPolicyCovers(save, 1701)).toBe(true);
    expect(ipsecPolicyCovers('meta ipsec exists udp dport { 500, 1701, 4500 } accept', 1701)).toBe(true);
    expect(ipsecPolicyCovers('udp dport 1701 accept\nudp dport 17010 meta ipsec exists accept', 1701)).toBe(false);
    expect(ipsecPolicyCovers('', 1701)).toBe(false);
  });

  it('names firewall --apply on a non-loopback address without the rule, and says nothing on loopback', () => {
    const base = { port: 1701, tunMode: false, authRequired: true, argvUsers: 0, secretsFiles: [] };
    const open = startWarnings({ ...base, listenAddress: '0.0.0.0', probe: () => 'missing' });
    expect(open).toEqual([expect.stringMatching(/udp\/1701 is reachable on 0\.0\.0\.0 .*'l2tp-ts firewall --apply'/)]);
    expect(startWarnings({ ...base, listenAddress: '0.0.0.0', port: 1702, probe: () => 'unknown' })[0]).toMatch(
      /no readable firewall rule.*--apply --port 1702/,
    );
    expect(startWarnings({ ...base, listenAddress: '0.0.0.0', probe: () => 'covered' })).toEqual([]);
    expect(startWarnings({ ...base, listenAddress: '127.0.0.1', probe: () => 'missing' })).toEqual([]);
    expect(isLoopback('::1') && isLoopback('127.3.2.1') && !isLoopback('10.0.0.1')).toBe(true);
  });

  it('TUN without authentication is loud; --user is named; a group-readable secrets file gets pppd wording', () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2tp-ts-warn-'));
    dirs.push(dir);
    const open = join(dir, 'chap-secrets');
    const tight = join(dir, 'l2tp-secrets');
    writeFileSync(open, 'alice * pw *\n');
    writeFileSync(tight, '* * s\n');
    chmodSync(open, 0o644);
    chmodSync(tight, 0o600);
    const w = startWarnings({
      listenAddress: '127.0.0.1',
      port: 1701,
      tunMode: true,
      authRequired: false,
      argvUsers: 1,
      secretsFiles: [open, tight, join(dir, 'missing')],
    });
    expect(w).toEqual([
      `Warning - secret file ${open} has world and/or group access`,
      expect.stringMatching(/^--user puts passwords on the command line.*L2TP_TS_USERS/),
      expect.stringMatching(/^!!! TUN mode with no authentication required/),
    ]);
    expect(
      startWarnings({
        ...{ listenAddress: '127.0.0.1', port: 1, argvUsers: 0, secretsFiles: [] },
        tunMode: false,
        authRequired: false,
      }),
    ).toEqual([]);
  });
});
