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
      user: 'u',
      password: 'from-env',
    });
    expect(dialCredentials({ server: 's', user: 'u', password: 'flag' }, env).password).toBe('flag');
  });
});
