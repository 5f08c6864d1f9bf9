// chap-secrets (pppd) and l2tp-secrets (xl2tpd auth file) parsers and lookups.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseChapSecrets } from '../../src/lns/config/chap-secrets.js';
import { ConfigError } from '../../src/lns/config/config-error.js';
import { lookupTunnelSecret, parseL2tpSecrets } from '../../src/lns/config/l2tp-secrets.js';

const vector = (name: string) => readFileSync(new URL(`../vectors/config/${name}`, import.meta.url), 'utf8');

describe('parseChapSecrets', () => {
  it("parses the OpenWrt how-to's chap-secrets (comment header, tabs, static address)", () => {
    const { value, warnings } = parseChapSecrets(vector('chap-secrets'), 'chap-secrets');
    expect(warnings).toEqual([]);
    expect(value).toEqual([
      {
        client: 'username',
        server: 'vpn',
        secret: 'secret',
        addresses: ['10.1.20.32'],
        staticAddress: '10.1.20.32',
        noAddress: false,
        line: 2,
      },
    ]);
  });

  it('handles quotes, escapes, * wildcards, - (no address), comments and the first plain address', () => {
    const text = [
      '# client server secret IP addresses',
      '"alice smith" * "pa ss#word" *',
      "bob\tvpn\t'it''s'\t!10.0.0.1 10.0.0.0/24 10.0.0.7 10.0.0.8 # trailing comment",
      '* * fallback',
      'carol vpn "s\\"q" -',
      'dave vpn pw 10.0.0.9 -- +ipv6',
    ].join('\n');
    const { value, warnings } = parseChapSecrets(text, 'chap-secrets');
    expect(warnings).toEqual([]);
    expect(value.map((e) => [e.client, e.server, e.secret, e.staticAddress, e.noAddress, e.line])).toEqual([
      ['alice smith', '*', 'pa ss#word', undefined, false, 2],
      ['bob', 'vpn', 'its', '10.0.0.7', false, 3],
      ['*', '*', 'fallback', undefined, false, 4],
      ['carol', 'vpn', 's"q', undefined, true, 5],
      ['dave', 'vpn', 'pw', '10.0.0.9', false, 6],
    ]);
    expect(value[1]!.addresses).toEqual(['!10.0.0.1', '10.0.0.0/24', '10.0.0.7', '10.0.0.8']);
  });

  it('warns about short lines and @file secrets, with their line', () => {
    const { value, warnings } = parseChapSecrets('alice *\nbob * @/etc/ppp/bob.secret\ncarol * pw\n', 'cs');
    expect(value.map((e) => e.client)).toEqual(['carol']);
    expect(warnings.map((w) => w.line)).toEqual([1, 2]);
  });

  it('refuses a malformed address with ConfigError at its line', () => {
    expect(() => parseChapSecrets('a * b 10.0.0.1\nc * d 10.0.0.256\n', 'cs')).toThrowError(ConfigError);
    try {
      parseChapSecrets('a * b 10.0.0.1\nc * d 10.0.0.256\n', 'cs');
    } catch (e) {
      expect((e as ConfigError).toString()).toBe('cs:2: address "10.0.0.256": expected an IPv4 address');
    }
  });
});

describe('parseL2tpSecrets (xl2tpd aaa.c get_secret)', () => {
  const text = [
    '# us them secret',
    'lns1 lac1 s3cret ; comment',
    '*    lac2 two words',
    'LNS1 *    fallback',
    'broken-line',
    '* *  any',
  ].join('\n');

  it('parses us/them/secret with # and ; comments; the secret is the rest of the line', () => {
    const { value, warnings } = parseL2tpSecrets(text, 'l2tp-secrets');
    expect(value).toEqual([
      { us: 'lns1', them: 'lac1', secret: 's3cret', line: 2 },
      { us: '*', them: 'lac2', secret: 'two words', line: 3 },
      { us: 'LNS1', them: '*', secret: 'fallback', line: 4 },
      { us: '*', them: '*', secret: 'any', line: 6 },
    ]);
    expect(warnings).toEqual([
      { file: 'l2tp-secrets', line: 5, message: 'expected "us them secret", got 1 field; line ignored' },
    ]);
  });

  it('RFC2661-4.4.3: the first line matching (us, them) gives the tunnel secret, case-insensitive, * wildcards', () => {
    const secrets = parseL2tpSecrets(text, 'l2tp-secrets').value;
    expect(lookupTunnelSecret(secrets, 'lns1', 'lac1')).toBe('s3cret');
    expect(lookupTunnelSecret(secrets, 'Lns1', 'LAC1')).toBe('s3cret');
    expect(lookupTunnelSecret(secrets, 'other', 'lac2')).toBe('two words');
    expect(lookupTunnelSecret(secrets, 'lns1', 'lac9')).toBe('fallback');
    expect(lookupTunnelSecret(secrets, 'other', 'lac9')).toBe('any');
    expect(lookupTunnelSecret(secrets.slice(0, 2), 'other', 'lac9')).toBeUndefined();
  });
});
