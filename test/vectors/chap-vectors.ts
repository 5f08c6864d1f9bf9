// Golden vectors for src/chap: MD4, DES, MS-CHAPv2, MS-CHAPv1 NT response, CHAP-MD5.
// Each carries its provenance. Copied here so tests never read /work/shared at run time.

/** RFC 1320 Appendix A.5 "Test suite" (verbatim): MD4(input) = digest. */
export const MD4_RFC1320: readonly { readonly input: string; readonly digest: string }[] = [
  { input: '', digest: '31d6cfe0d16ae931b73c59d7e0c089c0' },
  { input: 'a', digest: 'bde52cb31de33e46245e05fbdbd6fb24' },
  { input: 'abc', digest: 'a448017aaf21d8525fc10ae87aa6729d' },
  { input: 'message digest', digest: 'd9130a8164549fe818874806e1c7014b' },
  { input: 'abcdefghijklmnopqrstuvwxyz', digest: 'd79e1c308aa5bbcdeea8ed63df412da9' },
  {
    input: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
    digest: '043f8582f241db351ce627e153e7f0e4',
  },
  {
    input: '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
    digest: 'e33b4ddc9c38f2199c3e7b164fcc0536',
  },
];

/** Computed by the peers kit's l2tp_probe.py (pure-Python MD4): MD4 of octets 00 01 … C7 (200 octets, 4 blocks). */
export const MD4_KIT_200 = { digest: 'f1a97b5ff191d1fe9e570c529abf13b3' } as const;

/**
 * Computed by the peers kit's l2tp_probe.py (pure-Python MD4), 2026-11-27: MD4 of n octets 'a'
 * (0x61), at the padding boundaries 55/56/57, 63/64/65, 119/120 and one long input.
 */
export const MD4_KIT_PADDING: readonly { readonly n: number; readonly digest: string }[] = [
  { n: 55, digest: 'c889c81dd86c4d2e025778944ea02881' },
  { n: 56, digest: 'd5f9a9e9257077a5f08b0b92f348b0ad' },
  { n: 57, digest: '872097e6f78e3b53f890459d03bc6fb7' },
  { n: 63, digest: '7ea3da77432d44c323671097d1348fc8' },
  { n: 64, digest: '52f5076fabd22680234a3fa9f9dc5732' },
  { n: 65, digest: '330e377bf231f3cacfecc2c182fe7e5b' },
  { n: 119, digest: 'e65dd227ccef97fa1d34d70189120f76' },
  { n: 120, digest: 'b03ddbd470b47c013e0c7ab2ddd763db' },
  { n: 1000, digest: '5f1bf26a8067c9159b91f1440f7c9e8a' },
];

/** FIPS 81 / NBS single-DES example (REFERENCES.md §3.9): key, plaintext → ciphertext. */
export const DES_FIPS = {
  key: '133457799BBCDFF1',
  plaintext: '0123456789ABCDEF',
  ciphertext: '85E813540F0AB405',
} as const;

/** RFC 2759 §9.3 (verbatim): password "MyPw", its hash, raw 7-octet keys and parity-corrected DES keys. */
export const RFC2759_9_3 = {
  password: 'MyPw',
  passwordHash: 'FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC',
  rawKey1: 'FC 15 6A F7 ED CD 6C',
  key1: 'FD 0B 5B 5E 7F 6E 34 D9',
  rawKey2: '0E DD E3 33 7D 42 7F',
  key2: '0E 6E 79 67 37 EA 08 FE',
} as const;

/** RFC 2759 §9.2 "Hash Example" (verbatim): user "User", password "clientPass". */
export const RFC2759_9_2 = {
  user: 'User',
  userOctets: '55 73 65 72',
  password: 'clientPass',
  passwordUnicode: '63 00 6C 00 69 00 65 00 6E 00 74 00 50 00 61 00 73 00 73 00',
  authenticatorChallenge: '5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28',
  peerChallenge: '21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E',
  challenge: 'D0 2E 43 86 BC E9 12 26',
  passwordHash: '44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE',
  ntResponse: '82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF',
  passwordHashHash: '41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F',
  authenticatorResponse: 'S=407A5589115FD0D6209F510FE9C04566932CDA56',
} as const;

/** RFC 2433 Appendix B.2 (verbatim): MS-CHAPv1 for password "MyPw" (NtChallengeResponse = §8.5 ChallengeResponse). */
export const RFC2433_B_2 = {
  challenge: '10 2D B5 DF 08 5D 30 41',
  password: 'MyPw',
  passwordUnicode: '4D 00 79 00 50 00 77 00',
  passwordHash: 'FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC',
  ntChallengeResponse: '4E 9D 3C 8F 9C FD 38 5D 5B F4 D3 24 67 91 95 6C A4 C3 51 AB 40 9A 3D 61',
} as const;

/** REFERENCES.md §3.5 (derived, computed by the kit's conformance-vectors.py): RFC 2759 §9.2 inputs with password "wrongPass". */
export const RFC2759_WRONG_PASSWORD = {
  password: 'wrongPass',
  ntResponse: '95 3D 95 35 9C 3C 37 33 90 36 BC 36 FF F1 6E 9E A6 CC 87 71 08 51 F1 BE',
} as const;

/**
 * REFERENCES.md §3.5: the full PPP frame of the §9.2 Response (Identifier 0x05, Name "User"),
 * Value-Size 0x31 = 49, Length 0x3A = 58.
 */
export const RFC2759_RESPONSE_FRAME =
  'FF 03 C2 23 02 05 00 3A 31 | 21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E | 00 00 00 00 00 00 00 00 |' +
  ' 82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF | 00 | 55 73 65 72';

/**
 * Computed by the peers kit's l2tp_probe.py (`mschapv2()`, pure-Python MD4 + DES via `cryptography`,
 * an implementation independent of ours), inputs from Python random.Random(20261127), 2026-11-27.
 */
export const MSCHAPV2_KIT: readonly {
  readonly user: string;
  readonly password: string;
  readonly authenticatorChallenge: string;
  readonly peerChallenge: string;
  readonly passwordHash: string;
  readonly ntResponse: string;
  readonly authenticatorResponse: string;
}[] = [
  {
    user: 'alice',
    password: 'S3cr3t-pässwörd',
    authenticatorChallenge: '099742d14d8ad6252a48643cf3f144ec',
    peerChallenge: '16cb297608f4ea29be340a95febda67d',
    passwordHash: 'a22116d0e1e75af2326f3e92e321c473',
    ntResponse: '8553651ee292d0d75e2a99a2dad81c3f13c2b0c7f39f774a',
    authenticatorResponse: 'S=9E19E2DD8BD132D8FD01D0B70E08E18473797B3F',
  },
  {
    user: 'vpnuser42',
    password: 'correct horse battery staple',
    authenticatorChallenge: '26b7b6ccd9070d72ddef84e193bca5f9',
    peerChallenge: 'ad8bbf4679b208860879c93dc9822b62',
    passwordHash: '1b9d5effd34ac283c8efe2eacaea8bbc',
    ntResponse: 'a3674982f10dc50030f1bc1ed098f3f539ccba79274b2ed8',
    authenticatorResponse: 'S=58F421E64CBC0A6EE97222F3383D73E8F7458686',
  },
  {
    user: 'bob',
    password: '',
    authenticatorChallenge: 'f040d3e92746b768822375a0e43c48c5',
    peerChallenge: 'fc82861baab4e2ac4418dc2350ad147c',
    passwordHash: '31d6cfe0d16ae931b73c59d7e0c089c0',
    ntResponse: '1245b8600b99004937b7aba511f870454177f4c9960e81ba',
    authenticatorResponse: 'S=FB325367BF597261B1095C39BF06AD65059389AC',
  },
];

/** REFERENCES.md §3.6 (computed worked example of RFC 1994 §4.1): Identifier 1, secret "secret", challenge 00..0F. */
export const CHAP_MD5_REF = {
  identifier: 0x01,
  secret: 'secret',
  challenge: '00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F',
  response: '74 0E 86 46 3B DA 3A 4D 70 17 D6 E0 FB A0 69 9D',
} as const;

/** Computed by the peers kit's l2tp_probe.py run (hashlib MD5) : Identifier 0x2a, secret "chapsecret". */
export const CHAP_MD5_KIT = {
  identifier: 0x2a,
  secret: 'chapsecret',
  challenge: '2b93151206ddabd699b30ad24b384754',
  response: '502192141d0c8d340a3675780989747c',
} as const;
