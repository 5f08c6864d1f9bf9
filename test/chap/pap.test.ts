// PAP codec (src/chap/pap.ts), RFC 1334 §2.2.
import { describe, expect, it } from 'vitest';
import { decodePapPacket, encodePapReply, encodePapRequest, PapCode } from '../../src/chap/pap.js';
import { toHex } from '../../src/core/bytes.js';
import { hex } from '../support/hex.js';
import { bitFlips, truncations } from '../support/truncations.js';

describe('pap codec', () => {
  it('RFC1334-2.2.1: Authenticate-Request = Peer-ID Length, Peer-ID, Passwd-Length, Password', () => {
    const p = encodePapRequest(7, 'bob', 'pw1');
    expect(toHex(p)).toBe('0107000c03626f6203707731');
    const d = decodePapPacket(p);
    expect(d?.code).toBe(PapCode.AuthenticateRequest);
    if (d?.code !== PapCode.AuthenticateRequest) return;
    expect(d.identifier).toBe(7);
    expect(String.fromCharCode(...d.peerId)).toBe('bob');
    expect(String.fromCharCode(...d.password)).toBe('pw1');
  });

  it('RFC1334-2.2.2: Authenticate-Ack/Nak carry Msg-Length and Message', () => {
    const p = encodePapReply(PapCode.AuthenticateNak, 7, 'Login incorrect');
    expect(decodePapPacket(p)).toEqual({ code: PapCode.AuthenticateNak, identifier: 7, message: 'Login incorrect' });
    // Some peers omit Msg-Length on an empty message; pppd accepts that, so do we.
    expect(decodePapPacket(hex`02 07 00 04`)).toEqual({ code: PapCode.AuthenticateAck, identifier: 7, message: '' });
  });

  it('RFC1334-2.2: malformed packets are refused, never thrown', () => {
    const p = encodePapRequest(7, 'bob', 'pw1');
    for (const t of truncations(p)) expect(decodePapPacket(t)).toBeUndefined();
    for (const f of bitFlips(p)) expect(() => decodePapPacket(f)).not.toThrow();
    expect(decodePapPacket(hex`01 01 00 06 05 61`)).toBeUndefined(); // Peer-ID Length past Length
    expect(decodePapPacket(hex`02 01 00 06 05 61`)).toBeUndefined(); // Msg-Length past Length
    expect(decodePapPacket(hex`04 01 00 04`)).toBeUndefined(); // unknown code
  });
});
