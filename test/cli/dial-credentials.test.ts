// The --server/--user/--password checks `l2tp-ts lac` and `l2tp-ts bench` share. Related: src/cli/args.ts.
import { describe, expect, it } from 'vitest';
import { dialCredentials, UsageError } from '../../src/cli/args.js';

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
});
