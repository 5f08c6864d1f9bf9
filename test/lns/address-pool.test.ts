// AddressPool: lowest free first, static addresses, exhaustion, release; a fast-check property
// that no two sessions ever share an address and the local ip is never handed out.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressPool } from '../../src/lns/address-pool.js';
import { DEFAULT_LNS_SETTINGS } from '../../src/lns/config/settings.js';

describe('AddressPool', () => {
  it("hands out the seed's range lowest first, never the local ip, then runs dry", () => {
    const pool = new AddressPool(['10.1.20.30-10.1.20.50'], { exclude: ['10.1.20.30'] });
    expect(pool.size).toBe(20);
    const got = Array.from({ length: 20 }, (_, i) => pool.allocate(`s${i}`));
    expect(got[0]).toBe('10.1.20.31');
    expect(got[19]).toBe('10.1.20.50');
    expect(new Set(got).size).toBe(20);
    expect(pool.inUse).toBe(20);
    expect(pool.allocate('one-too-many')).toBeUndefined();
  });

  it('reuses the lowest released address first (deterministic, not round-robin)', () => {
    const pool = new AddressPool(['10.0.0.1-10.0.0.5']);
    for (const k of ['a', 'b', 'c', 'd']) pool.allocate(k);
    expect(pool.release('c')).toBe('10.0.0.3');
    expect(pool.release('b')).toBe('10.0.0.2');
    expect(pool.allocate('e')).toBe('10.0.0.2');
    expect(pool.allocate('f')).toBe('10.0.0.3');
    expect(pool.allocate('g')).toBe('10.0.0.5');
    expect(pool.allocate('h')).toBeUndefined();
    expect(pool.release('nobody')).toBeUndefined();
  });

  it('as the local ip range allocator: one local address per session key, distinct, returned and reused, then dry', () => {
    const local = new AddressPool(['10.0.9.1-10.0.9.3']);
    const keys = [0x10001, 0x10002, 0x20001].map(String);
    expect(keys.map((k) => local.allocate(k))).toEqual(['10.0.9.1', '10.0.9.2', '10.0.9.3']);
    expect(local.allocate('4')).toBeUndefined(); // exhausted: the caller refuses the call
    expect(local.addressOf(keys[1]!)).toBe('10.0.9.2');
    expect(local.release(keys[1]!)).toBe('10.0.9.2');
    expect(local.release(keys[1]!)).toBeUndefined(); // a second teardown frees nothing
    expect(local.allocate('5')).toBe('10.0.9.2');
    expect(local.inUse).toBe(3);
  });

  it('accepts both range forms, single addresses and {start,end}, merging overlaps', () => {
    const pool = new AddressPool([
      '10.0.0.1-3',
      '10.0.0.2-10.0.0.4',
      '10.0.0.9',
      { start: '10.0.1.0', end: '10.0.1.1' },
    ]);
    expect(pool.size).toBe(7);
    expect(Array.from({ length: 8 }, (_, i) => pool.allocate(`k${i}`))).toEqual([
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.3',
      '10.0.0.4',
      '10.0.0.9',
      '10.0.1.0',
      '10.0.1.1',
      undefined,
    ]);
    expect(() => new AddressPool(['10.0.0.9-1'])).toThrowError(RangeError);
  });

  it('static addresses: given when free (even outside the range), refused when taken or excluded', () => {
    const pool = new AddressPool(['10.0.0.1-10.0.0.3'], { exclude: ['10.0.0.254'], reserve: ['10.0.0.2'] });
    expect(pool.size).toBe(2);
    expect(pool.allocate('a')).toBe('10.0.0.1');
    expect(pool.allocate('b')).toBe('10.0.0.3'); // 10.0.0.2 is reserved for its static user
    expect(pool.allocate('alice', { user: 'alice', staticAddress: '10.0.0.2' })).toBe('10.0.0.2');
    expect(pool.allocate('alice2', { user: 'alice', staticAddress: '10.0.0.2' })).toBeUndefined();
    expect(pool.allocate('x', { staticAddress: '10.0.0.254' })).toBeUndefined();
    expect(pool.allocate('y', { staticAddress: '192.0.2.7' })).toBe('192.0.2.7');
    expect(pool.keyOf('192.0.2.7')).toBe('y');
    expect(pool.addressOf('alice')).toBe('10.0.0.2');
  });

  it('setReserved (SIGHUP): a new static address leaves dynamic allocation, a dropped one rejoins it', () => {
    const pool = new AddressPool(['10.0.0.1-10.0.0.4'], { reserve: ['10.0.0.2'] });
    expect(pool.allocate('a')).toBe('10.0.0.1');
    expect(pool.allocate('b')).toBe('10.0.0.3');
    pool.release('a');
    pool.setReserved(['10.0.0.1']); // 10.0.0.1 is released and now reserved; 10.0.0.2 is free again
    expect(pool.size).toBe(3);
    expect(pool.allocate('c')).toBe('10.0.0.2');
    expect(pool.allocate('d')).toBe('10.0.0.4');
    expect(pool.allocate('e')).toBeUndefined();
    expect(pool.allocate('alice', { staticAddress: '10.0.0.1' })).toBe('10.0.0.1');
    // A held address stays with its session when it becomes reserved.
    pool.setReserved(['10.0.0.2']);
    expect(pool.addressOf('c')).toBe('10.0.0.2');
  });

  it('a static address inside the range is skipped by dynamic allocation while held', () => {
    const pool = new AddressPool(['10.0.0.1-10.0.0.3']);
    expect(pool.allocate('s', { staticAddress: '10.0.0.2' })).toBe('10.0.0.2');
    expect(pool.allocate('a')).toBe('10.0.0.1');
    expect(pool.allocate('b')).toBe('10.0.0.3');
    pool.release('s');
    expect(pool.allocate('c')).toBe('10.0.0.2');
  });

  it('the same key gets its address back; userInUse tracks users for exclusive', () => {
    const pool = new AddressPool(['10.0.0.1-10.0.0.3']);
    expect(pool.allocate('k', { user: 'bob' })).toBe('10.0.0.1');
    expect(pool.allocate('k', { user: 'bob' })).toBe('10.0.0.1');
    expect(pool.inUse).toBe(1);
    expect(pool.userInUse('bob')).toBe(true);
    pool.release('k');
    expect(pool.userInUse('bob')).toBe(false);
  });

  it('builds from DEFAULT_LNS_SETTINGS', () => {
    const s = DEFAULT_LNS_SETTINGS;
    const pool = new AddressPool(s.poolRanges, { exclude: [s.localAddress] });
    expect([pool.size, pool.allocate('x')]).toEqual([20, '10.1.20.31']);
  });

  it('property: never two sessions on one address, the local ip never allocated, lowest free first', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), key: fc.integer({ min: 0, max: 30 }) }),
      fc.record({
        kind: fc.constant('static' as const),
        key: fc.integer({ min: 0, max: 30 }),
        host: fc.integer({ min: 0, max: 25 }),
      }),
      fc.record({ kind: fc.constant('release' as const), key: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 0, max: 21 }), (ops, localHost) => {
        const local = `10.0.0.${localHost}`;
        const pool = new AddressPool(['10.0.0.1-10.0.0.20'], { exclude: [local] });
        const model = new Map<string, string>();
        for (const o of ops) {
          const key = `k${o.key}`;
          if (o.kind === 'release') {
            expect(pool.release(key)).toBe(model.get(key));
            model.delete(key);
            continue;
          }
          const held = model.get(key);
          const staticAddress = o.kind === 'static' ? `10.0.0.${o.host}` : undefined;
          const a = pool.allocate(key, { staticAddress });
          if (held !== undefined) {
            expect(a).toBe(held);
            continue;
          }
          const taken = new Set(model.values());
          if (staticAddress !== undefined) {
            expect(a).toBe(taken.has(staticAddress) || staticAddress === local ? undefined : staticAddress);
          } else {
            // The lowest address of the range that is neither taken nor the local ip.
            let want: string | undefined;
            for (let h = 1; h <= 20 && want === undefined; h++) {
              const c = `10.0.0.${h}`;
              if (c !== local && !taken.has(c)) want = c;
            }
            expect(a).toBe(want);
          }
          if (a !== undefined) model.set(key, a);
          expect(a).not.toBe(local);
          expect(new Set(model.values()).size).toBe(model.size);
          expect(pool.inUse).toBe(model.size);
        }
      }),
      { seed: 0x9001, numRuns: 300 },
    );
  });
});
