// The /64 pool (issue 12 item 5): the LNS's own /64 first, lowest free /64 per session, lookup by
// destination, bounds on the pool length; and the RA rate limit of Ipv6Sessions (RFC 4861 §6.2.6).
// Related: src/lns/ipv6-prefixes.ts, src/lns/ipv6-sessions.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv6 } from '../../src/core/ipv6.js';
import { buildRouterSolicitation } from '../../src/lac/slaac.js';
import { Ipv6Prefixes, parseIpv6Pool } from '../../src/lns/ipv6-prefixes.js';
import { Ipv6Sessions, MIN_DELAY_BETWEEN_RAS_MS } from '../../src/lns/ipv6-sessions.js';
import type { PppSession } from '../../src/session/ppp-over-l2tp.js';

const addr = (t: string) => parseIpv6(t)!;

describe('Ipv6Prefixes', () => {
  it('hands out /64 number 1, 2, … (0 is the LNS, <pool>::1), reusing the lowest released one', () => {
    const p = new Ipv6Prefixes<string>('2001:db8:100::/48');
    expect(Ipv6Prefixes.format(p.allocate('a')!)).toBe('2001:db8:100:1::/64');
    expect(Ipv6Prefixes.format(p.allocate('b')!)).toBe('2001:db8:100:2::/64');
    expect(Ipv6Prefixes.format(p.allocate('c')!)).toBe('2001:db8:100:3::/64');
    expect(Ipv6Prefixes.format(p.allocate('a')!)).toBe('2001:db8:100:1::/64');
    p.release('b');
    p.release('a');
    expect(Ipv6Prefixes.format(p.allocate('d')!)).toBe('2001:db8:100:1::/64');
    expect(p.localAddress).toEqual(addr('2001:db8:100::1'));
  });

  it('looks a destination up by its /64; outside the pool or an unassigned /64: none', () => {
    const p = new Ipv6Prefixes<string>('2001:db8:100::/48');
    p.allocate('a');
    p.allocate('b');
    expect(p.lookup(addr('2001:db8:100:2::abcd'), 0)).toBe('b');
    expect(p.lookup(addr('2001:db8:100:1:ffff:ffff:ffff:ffff'), 0)).toBe('a');
    expect(p.lookup(addr('2001:db8:100:3::1'), 0)).toBeUndefined();
    expect(p.lookup(addr('2001:db8:101:1::1'), 0)).toBeUndefined();
    expect(p.lookup(addr('2001:db8:100::1'), 0)).toBeUndefined();
  });

  it('a pool that is not on an octet boundary works too (property: allocate then lookup)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 32, max: 60 }), fc.integer({ min: 1, max: 40 }), (len, n) => {
        const p = new Ipv6Prefixes<number>(`2001:db8:8000::/${len}`);
        const got = [];
        for (let i = 0; i < Math.min(n, p.size - 1); i++) got.push(p.allocate(i)!);
        got.forEach((g, i) => {
          const a = new Uint8Array(16);
          a.set(g);
          a[15] = 9;
          expect(p.lookup(a, 0)).toBe(i);
        });
      }),
    );
  });

  it('is exhausted past its size: a /62 has 3 /64s for sessions', () => {
    const p = new Ipv6Prefixes<number>('2001:db8::/62');
    expect([1, 2, 3].map((i) => p.allocate(i) !== undefined)).toEqual([true, true, true]);
    expect(p.allocate(4)).toBeUndefined();
  });

  it('refuses pools shorter than /32 (the /64 number must fit 32 bits) or longer than /63', () => {
    expect(parseIpv6Pool('2001:db8::/31')).toHaveProperty('error');
    expect(parseIpv6Pool('2001:db8::/64')).toHaveProperty('error');
    expect(parseIpv6Pool('2001:db8::')).toHaveProperty('error');
    expect(parseIpv6Pool('2001:db8:1:2::/48')).toEqual({ network: addr('2001:db8:1::'), length: 48 });
  });
});

describe('Ipv6Sessions', () => {
  const session = { key: 1 } as PppSession;
  it('answers at most one Router Solicitation per 3 s per session (RFC 4861 §6.2.6)', () => {
    const v6 = new Ipv6Sessions({ pool: '2001:db8:100::/48' });
    v6.up(session, '0000:0000:0000:0001', 0);
    const rs = buildRouterSolicitation(addr('fe80::2'));
    expect(v6.answerLinkScope(session, rs, 10)).toBeDefined();
    for (let i = 0; i < 100; i++) expect(v6.answerLinkScope(session, rs, 11 + i)).toBeUndefined();
    expect(v6.rsIgnored).toBe(100);
    expect(v6.answerLinkScope(session, rs, 10 + MIN_DELAY_BETWEEN_RAS_MS)).toBeDefined();
  });

  it('repeats the RA every interval while IPv6CP is up, and stops when it goes down', () => {
    const v6 = new Ipv6Sessions({ raIntervalMs: 600_000 });
    v6.up(session, '0000:0000:0000:0001', 0);
    expect(v6.pollTimeout()).toBe(600_000);
    const sent: unknown[] = [];
    v6.handleTimeout(600_000, (s) => sent.push(s));
    expect(sent).toEqual([session]);
    expect(v6.pollTimeout()).toBe(1_200_000);
    v6.down(session);
    expect(v6.pollTimeout()).toBeUndefined();
  });
});

describe('JSON ipv6Pool', () => {
  it('is checked when the config loads: a bad or too short prefix is an error with its path', async () => {
    const { parseJsonConfig } = await import('../../src/lns/config/json-config.js');
    const ok = parseJsonConfig('{"ipv6": true, "ipv6Pool": "2001:db8:100::/48"}', 'c.json');
    expect(ok.value.ipv6Pool).toBe('2001:db8:100::/48');
    expect(() => parseJsonConfig('{"ipv6Pool": "2001:db8::/24"}', 'c.json')).toThrow(/ipv6Pool.*\/32 to a \/63/);
    expect(() => parseJsonConfig('{"ipv6Pool": 5}', 'c.json')).toThrow(/ipv6Pool/);
  });
});
