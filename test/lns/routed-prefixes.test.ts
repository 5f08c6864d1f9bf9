// The Framed-Route table of the LNS: longest prefix first, the first grant keeps an equal prefix,
// removal forgets only that session's prefixes. Related: src/lns/routed-prefixes.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/core/ipv4.js';
import { RoutedPrefixes } from '../../src/lns/routed-prefixes.js';

const ip = (s: string) => parseIpv4(s)!;

describe('RoutedPrefixes', () => {
  it('RFC2865-5.22: the longest prefix wins; an equal prefix stays with the first grant until it goes', () => {
    const t = new RoutedPrefixes<string>();
    t.add('a', [{ address: ip('10.88.0.0'), length: 16 }]);
    t.add('b', [{ address: ip('10.88.5.0'), length: 24 }]);
    t.add('c', [{ address: ip('10.88.5.0'), length: 24 }]);
    expect(t.lookup(ip('10.88.5.9'))).toBe('b');
    expect(t.lookup(ip('10.88.6.9'))).toBe('a');
    expect(t.lookup(ip('10.89.0.1'))).toBeUndefined();
    t.remove('b');
    expect(t.lookup(ip('10.88.5.9'))).toBe('c');
    t.remove('c');
    t.remove('a');
    expect(t.size).toBe(0);
    // Host bits in a grant do not matter (10.88.5.77/24 is 10.88.5.0/24); /0 holds everything.
    t.add('d', [{ address: ip('10.88.5.77'), length: 24 }]);
    t.add('e', [{ address: 0, length: 0 }]);
    expect(t.lookup(ip('10.88.5.1'))).toBe('d');
    expect(t.lookup(ip('192.0.2.1'))).toBe('e');
  });

  it('property: lookup equals a brute-force longest match', () => {
    const prefix = fc.record({ address: fc.nat(0xffffffff), length: fc.integer({ min: 0, max: 32 }) });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), prefix), { maxLength: 30 }),
        fc.nat(0xffffffff),
        (grants, dst) => {
          const t = new RoutedPrefixes<number>();
          for (const [s, p] of grants) t.add(s, [p]);
          const mask = (l: number) => (l === 0 ? 0 : (0xffffffff << (32 - l)) >>> 0);
          let best: number | undefined;
          let bestLength = -1;
          for (const [s, p] of grants) {
            if ((dst & mask(p.length)) >>> 0 === (p.address & mask(p.length)) >>> 0 && p.length > bestLength) {
              best = s;
              bestLength = p.length;
            }
          }
          return t.lookup(dst) === best;
        },
      ),
    );
  });
});
