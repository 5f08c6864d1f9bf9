// MS-CHAPv2 packet contents (src/chap/mschapv2-wire.ts) and the CHAP framing (chap-packet.ts).
import { describe, expect, it } from 'vitest';
import { ChapCode, decodeChapPacket, encodeChapStatus } from '../../src/chap/chap-packet.js';
import {
  decodeMsChapV2ResponseValue,
  encodeMsChapV2Challenge,
  encodeMsChapV2Response,
  formatMsChapV2Failure,
  formatMsChapV2Success,
  parseMsChapV2Failure,
  parseMsChapV2Success,
} from '../../src/chap/mschapv2-wire.js';
import { toHex } from '../../src/core/bytes.js';
import { hex } from '../support/hex.js';
import { bitFlips, truncations } from '../support/truncations.js';
import { RFC2759_9_2, RFC2759_RESPONSE_FRAME } from '../vectors/chap-vectors.js';

// The information field of the §3.5 frame: drop FF 03 C2 23.
const RESPONSE = hex`${RFC2759_RESPONSE_FRAME}`.subarray(4);

describe('MS-CHAPv2 Response packet', () => {
  it('RFC2759-4: encodes the §9.2 Response exactly as REFERENCES §3.5 frames it (Value-Size 49, Length 58)', () => {
    const p = encodeMsChapV2Response(
      5,
      { peerChallenge: hex`${RFC2759_9_2.peerChallenge}`, ntResponse: hex`${RFC2759_9_2.ntResponse}` },
      'User',
    );
    expect(toHex(p)).toBe(toHex(RESPONSE));
  });

  it('RFC2759-4: decodes it back into peer challenge, NT-Response, flags and name', () => {
    const p = decodeChapPacket(RESPONSE);
    expect(p?.code).toBe(ChapCode.Response);
    if (p?.code !== ChapCode.Response) return;
    expect(p.identifier).toBe(5);
    expect(String.fromCharCode(...p.name)).toBe('User');
    const v = decodeMsChapV2ResponseValue(p.value);
    expect(v?.peerChallenge).toEqual(hex`${RFC2759_9_2.peerChallenge}`);
    expect(v?.ntResponse).toEqual(hex`${RFC2759_9_2.ntResponse}`);
    expect(v?.flags).toBe(0);
  });

  it('RFC2759-4: a value that is not 49 octets is not an MS-CHAPv2 Response', () => {
    expect(decodeMsChapV2ResponseValue(new Uint8Array(48))).toBeUndefined();
    expect(decodeMsChapV2ResponseValue(new Uint8Array(50))).toBeUndefined();
  });

  it('RFC1661-5: octets past Length are padding and ignored', () => {
    const padded = new Uint8Array(RESPONSE.length + 7);
    padded.set(RESPONSE);
    const p = decodeChapPacket(padded);
    expect(p?.code === ChapCode.Response && String.fromCharCode(...p.name)).toBe('User');
  });

  it('RFC1994-4: every truncation and bit flip decodes or is refused without throwing', () => {
    for (const t of truncations(RESPONSE)) expect(decodeChapPacket(t)).toBeUndefined();
    for (const f of bitFlips(RESPONSE)) expect(() => decodeChapPacket(f)).not.toThrow();
  });

  it('RFC1994-4.1: Value-Size 0 or past Length is malformed', () => {
    expect(decodeChapPacket(hex`01 01 00 05 00`)).toBeUndefined();
    expect(decodeChapPacket(hex`01 01 00 06 02 aa`)).toBeUndefined();
    expect(decodeChapPacket(hex`01 01 00 03`)).toBeUndefined();
    expect(decodeChapPacket(hex`07 01 00 04`)).toBeUndefined();
  });
});

describe('MS-CHAPv2 Challenge packet', () => {
  it('RFC2759-3: Value-Size 16, then our name', () => {
    const p = encodeMsChapV2Challenge(0x21, hex`${RFC2759_9_2.authenticatorChallenge}`, 'lns');
    expect(toHex(p)).toBe(`01210018${'10'}${RFC2759_9_2.authenticatorChallenge.replace(/ /g, '').toLowerCase()}6c6e73`);
  });
});

describe('MS-CHAPv2 Success message', () => {
  it('RFC2759-5: "S=<40 hex> M=<text>" round-trips', () => {
    const text = formatMsChapV2Success(RFC2759_9_2.authenticatorResponse, 'Access granted');
    expect(text).toBe('S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Access granted');
    const s = parseMsChapV2Success(text);
    expect(toHex(s!.authenticatorResponse).toUpperCase()).toBe('407A5589115FD0D6209F510FE9C04566932CDA56');
    expect(s!.message).toBe('Access granted');
    expect(parseMsChapV2Success('S=407A5589115FD0D6209F510FE9C04566932CDA56')?.message).toBeUndefined();
  });

  it('RFC2759-5: anything else is not a Success the peer can verify', () => {
    for (const bad of [
      '',
      'M=Access granted',
      'S=407A5589115FD0D6209F510FE9C04566932CDA5',
      'S=407A5589115FD0D6209F510FE9C04566932CDA56X',
      'S=407A5589115FD0D6209F510FE9C04566932CDAZZ M=x',
      's=407A5589115FD0D6209F510FE9C04566932CDA56',
    ]) {
      expect(parseMsChapV2Success(bad), bad).toBeUndefined();
    }
  });
});

describe('MS-CHAPv2 Failure message', () => {
  it('RFC2759-6: "E=691 R=0 C=<32 hex> V=3 M=<text>" round-trips', () => {
    const challenge = hex`${RFC2759_9_2.authenticatorChallenge}`;
    const text = formatMsChapV2Failure({ error: 691, retry: false, challenge, version: 3, message: 'denied here' });
    expect(text).toBe('E=691 R=0 C=5B5D7C7D7B3F2F3E3C2C602132262628 V=3 M=denied here');
    expect(parseMsChapV2Failure(text)).toEqual({
      error: 691,
      retry: false,
      challenge,
      version: 3,
      message: 'denied here',
    });
  });

  it('RFC2759-6: parses what pppd sends (R=1, V=0) and a bare E=', () => {
    const f = parseMsChapV2Failure('E=691 R=1 C=00112233445566778899aabbccddeeff V=0 M=Access denied');
    expect(f?.retry).toBe(true);
    expect(f?.version).toBe(0);
    expect(f?.message).toBe('Access denied');
    expect(parseMsChapV2Failure('E=648')).toEqual({
      error: 648,
      retry: false,
      challenge: undefined,
      version: undefined,
      message: undefined,
    });
  });

  it('RFC2759-6: malformed Failure messages are refused', () => {
    for (const bad of ['', 'R=0', 'E=abc R=0', 'E=691 R=2', 'E=691 C=0011', 'E=691 X=1']) {
      expect(parseMsChapV2Failure(bad), bad).toBeUndefined();
    }
  });

  it('RFC1994-4.2: Success/Failure carry the message after the header', () => {
    const p = decodeChapPacket(encodeChapStatus(ChapCode.Failure, 9, 'E=691 R=0'));
    expect(p?.code === ChapCode.Failure && String.fromCharCode(...p.message)).toBe('E=691 R=0');
    expect(p?.identifier).toBe(9);
  });
});
