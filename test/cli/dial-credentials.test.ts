// The --server/--user/--password checks (and HOST[:PORT] parsing) `l2tp-ts lac` and `l2tp-ts bench` share. Related: src/cli/args.ts.
import { describe, expect, it } from 'vitest';
import { dialCredentials, parseHostPort, UsageError } from '../../src/cli/args.js';

describe('cli/args dialCredentials', () => {
  it('needs --server, then --user, then a password from the flag or L2TP_TS_PASSWORD', () => {
    const env = { L2TP_TS_PASSWORD: 'from-env' };
    expect(() => dialCredentials({ user: 'u', password: 'p' }, env)).toThrow(new UsageError('--server is required'));
    expect(() => dialCredentials({ server: 's' }, env)).toThrow(new UsageError('--user is required'));
    expect(() => dialCredentials({ server: 's', user: 'u' }, {})).toThrow(
      new UsageError('--password (or L2TP_TS_PASSWORD) is required'),
    );
    expect(() => dialCredentials({ server: 's', user: 'u' }, {})).toThrow(UsageError);
    expect(dialCredentials({ server: 's:1702', user: 'u' }, env)).toEqual({
      server: 's:1702',
      fallbackServers: [],
      user: 'u',
      password: 'from-env',
    });
    // A repeated --server: the first is dialled, the rest are the "try another" fallbacks in order.
    expect(dialCredentials({ server: ['a', 'b:1702', 'c'], user: 'u' }, env)).toMatchObject({
      server: 'a',
      fallbackServers: ['b:1702', 'c'],
    });
    expect(() => dialCredentials({ server: [], user: 'u' }, env)).toThrow(new UsageError('--server is required'));
    expect(dialCredentials({ server: 's', user: 'u', password: 'flag' }, env).password).toBe('flag');
  });

  it('parseHostPort: names, IPv4, [IPv6]:port and a bare IPv6 address; bad forms are usage errors', () => {
    expect(parseHostPort('vpn.example.net', 1701)).toEqual({ address: 'vpn.example.net', port: 1701 });
    expect(parseHostPort('10.0.0.1:1702', 1701)).toEqual({ address: '10.0.0.1', port: 1702 });
    expect(parseHostPort('[2001:db8::1]:1702', 1701)).toEqual({ address: '2001:db8::1', port: 1702 });
    expect(parseHostPort('[::1]', 1701)).toEqual({ address: '::1', port: 1701 });
    expect(parseHostPort('2001:db8::1', 1701)).toEqual({ address: '2001:db8::1', port: 1701 });
    for (const bad of ['[::1', '::1]:5', 'a:b:c', 'host:', 'host:x', '[::1]:'])
      expect(() => parseHostPort(bad, 1701), bad).toThrow(UsageError);
    for (const range of ['h:0', 'h:65536', '[::1]:70000'])
      expect(() => parseHostPort(range, 1701), range).toThrow(/port out of range/);
  });
});
