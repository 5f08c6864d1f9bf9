// The sans-IO Dynamic Authorization server (RFC 5176) with requests built from the codec: who may
// ask, what is checked before anything is done, and what the answers carry.
// Related: test/lns/radius-dae.test.ts (radclient against a running LNS).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DaeOutcome, type DaeRequest, DaeServer, type DaeServerOptions } from '../../src/radius/dae-server.js';
import { encodeRequest, verifyReply } from '../../src/radius/wire/authenticators.js';
import { Attr, Code, ErrorCause } from '../../src/radius/wire/dictionary.js';
import { decodePacket, type RadiusAttribute } from '../../src/radius/wire/packet.js';
import { getInteger, makeAttribute } from '../../src/radius/wire/values.js';

const CLIENT = { address: '10.0.0.9', port: 40000 };
const SECRET = 'dae-secret';
const NOW = 1_800_000_000;

function server(o: Partial<DaeServerOptions> = {}): DaeServer {
  return new DaeServer({ clients: [{ address: CLIENT.address, secret: SECRET }], nasIdentifier: 'lns1', ...o });
}

function request(
  code: number,
  attributes: RadiusAttribute[],
  o: { identifier?: number; stamp?: number | null; secret?: string; signed?: boolean } = {},
): Uint8Array {
  const stamp = o.stamp === undefined ? NOW : o.stamp;
  return encodeRequest(
    {
      code,
      identifier: o.identifier ?? 7,
      authenticator: new Uint8Array(16),
      attributes: stamp === null ? attributes : [...attributes, makeAttribute(Attr.EventTimestamp, stamp)],
    },
    o.secret ?? SECRET,
    { messageAuthenticator: o.signed ?? true },
  );
}

const user = (name: string) => makeAttribute(Attr.UserName, name);

/** Runs one datagram; the requests `act` saw and the decoded, verified answer. */
function run(s: DaeServer, bytes: Uint8Array, outcome: DaeOutcome = { ok: true, sessions: 1 }, from = CLIENT) {
  const seen: DaeRequest[] = [];
  const r = s.handleDatagram(bytes, from, NOW, (req) => {
    seen.push(req);
    return outcome;
  });
  if (r.type === 'dropped') return { seen, dropped: r.reason, answer: undefined };
  const d = decodePacket(r.bytes);
  if (!d.ok) throw new Error(d.fault.code);
  const req = decodePacket(bytes);
  if (!req.ok) throw new Error('request');
  expect(verifyReply(r.bytes, d.value, req.value.authenticator, SECRET)).toBeUndefined();
  return { seen, dropped: undefined, answer: d.value, duplicate: r.duplicate };
}

describe('DaeServer', () => {
  it('RFC5176-3: a Disconnect-Request by User-Name is acted on and answered Disconnect-ACK', () => {
    const r = run(server(), request(Code.DisconnectRequest, [user('alice')]));
    expect(r.seen).toEqual([{ kind: 'disconnect', select: { userName: 'alice' } }]);
    expect(r.answer?.code).toBe(Code.DisconnectAck);
  });

  it('RFC5176-3: CoA-Request changes Session-Timeout / Idle-Timeout of the selected session', () => {
    const r = run(
      server(),
      request(Code.CoaRequest, [
        makeAttribute(Attr.AcctSessionId, 'ABCD'),
        makeAttribute(Attr.SessionTimeout, 120),
        makeAttribute(Attr.IdleTimeout, 30),
      ]),
    );
    expect(r.seen).toEqual([
      { kind: 'coa', select: { acctSessionId: 'ABCD' }, sessionTimeoutS: 120, idleTimeoutS: 30 },
    ]);
    expect(r.answer?.code).toBe(Code.CoaAck);
  });

  it('RFC5176-3.5: nothing selected → NAK with Error-Cause Session-Context-Not-Found', () => {
    const r = run(server(), request(Code.DisconnectRequest, [user('nobody')]), {
      ok: false,
      errorCause: ErrorCause.SessionContextNotFound,
    });
    expect(r.answer?.code).toBe(Code.DisconnectNak);
    expect(getInteger(r.answer!.attributes, Attr.ErrorCause)).toBe(503);
  });

  it('RFC5176-2.3: requests from an unlisted address, unsigned, or with another secret are dropped unanswered', () => {
    const s = server();
    expect(
      run(s, request(Code.DisconnectRequest, [user('a')]), undefined, { address: '10.0.0.8', port: 1 }).dropped,
    ).toBe('unknown-client');
    expect(run(s, request(Code.DisconnectRequest, [user('a')], { signed: false })).dropped).toBe('unauthentic');
    expect(run(s, request(Code.DisconnectRequest, [user('a')], { secret: 'other' })).dropped).toBe('unauthentic');
    expect(run(s, request(Code.AccountingRequest, [user('a')])).dropped).toBe('not-a-request');
    expect(s.dropped).toMatchObject({ 'unknown-client': 1, unauthentic: 2, 'not-a-request': 1 });
  });

  it('RFC5176-3.5: an Event-Timestamp outside the 300 s window is dropped; none at all is NAKed Missing-Attribute', () => {
    const s = server();
    expect(run(s, request(Code.DisconnectRequest, [user('a')], { stamp: NOW - 301 })).dropped).toBe('stale-timestamp');
    expect(run(s, request(Code.DisconnectRequest, [user('a')], { stamp: NOW + 301, identifier: 8 })).dropped).toBe(
      'stale-timestamp',
    );
    const inside = run(s, request(Code.DisconnectRequest, [user('a')], { stamp: NOW - 299, identifier: 9 }));
    expect(inside.answer?.code).toBe(Code.DisconnectAck);
    const none = run(s, request(Code.DisconnectRequest, [user('a')], { stamp: null, identifier: 10 }));
    expect(none.seen).toEqual([]);
    expect(getInteger(none.answer!.attributes, Attr.ErrorCause)).toBe(ErrorCause.MissingAttribute);
    // Opted out (accel-ppp's behaviour): accepted without one.
    const lax = run(
      server({ requireEventTimestamp: false }),
      request(Code.DisconnectRequest, [user('a')], { stamp: null }),
    );
    expect(lax.answer?.code).toBe(Code.DisconnectAck);
  });

  it('RFC5080-2.2.2: a retransmission gets the same answer and is not acted on twice', () => {
    const s = server();
    const bytes = request(Code.DisconnectRequest, [user('alice')]);
    const first = run(s, bytes);
    const again = run(s, bytes);
    expect(first.seen).toHaveLength(1);
    expect(again.seen).toHaveLength(0);
    expect(again.duplicate).toBe(true);
    expect(again.answer?.code).toBe(Code.DisconnectAck);
  });

  it('RFC5176-3.5: refusals before acting — unsupported attribute, no identification, another NAS, a bad value', () => {
    const s = server();
    const cases: [RadiusAttribute[], number, number][] = [
      [[user('a'), makeAttribute(Attr.FilterId, 'x')], Code.CoaRequest, ErrorCause.UnsupportedAttribute],
      [[user('a'), makeAttribute(Attr.SessionTimeout, 5)], Code.DisconnectRequest, ErrorCause.UnsupportedAttribute],
      [[makeAttribute(Attr.NasIdentifier, 'lns1')], Code.DisconnectRequest, ErrorCause.MissingAttribute],
      [[user('a')], Code.CoaRequest, ErrorCause.MissingAttribute],
      [
        [user('a'), makeAttribute(Attr.NasIdentifier, 'lns2')],
        Code.DisconnectRequest,
        ErrorCause.NasIdentificationMismatch,
      ],
      // A Framed-IP-Address of 3 octets must not leave a selection by the rest (or by nothing).
      [
        [{ vendorId: 0, type: Attr.FramedIpAddress, value: new Uint8Array(3) }],
        Code.DisconnectRequest,
        ErrorCause.InvalidAttributeValue,
      ],
      [[user('a'), user('b')], Code.DisconnectRequest, ErrorCause.InvalidAttributeValue],
    ];
    let id = 20;
    for (const [attrs, code, cause] of cases) {
      const r = run(s, request(code, attrs, { identifier: id++ }));
      expect(r.seen, `${cause}`).toEqual([]);
      expect(r.answer?.code).toBe(code === Code.CoaRequest ? Code.CoaNak : Code.DisconnectNak);
      expect(getInteger(r.answer!.attributes, Attr.ErrorCause)).toBe(cause);
    }
  });

  it('RFC5176-3.1: Proxy-State attributes come back in order, in ACK and NAK', () => {
    const ps = [
      makeAttribute(Attr.ProxyState, new Uint8Array([1])),
      makeAttribute(Attr.ProxyState, new Uint8Array([2, 3])),
    ];
    const r = run(server(), request(Code.DisconnectRequest, [user('a'), ...ps]));
    expect(r.answer!.attributes.filter((a) => a.type === Attr.ProxyState).map((a) => [...a.value])).toEqual([
      [1],
      [2, 3],
    ]);
  });

  it('bounded: the duplicate cache keeps at most maxRemembered answers', () => {
    const s = server({ maxRemembered: 4 });
    for (let id = 0; id < 50; id++) run(s, request(Code.DisconnectRequest, [user('a')], { identifier: id }));
    expect((s as unknown as { remembered: Map<string, unknown> }).remembered.size).toBe(4);
  });

  it('property: arbitrary datagrams from a listed client never throw and never reach act', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        let acted = false;
        server().handleDatagram(bytes, CLIENT, NOW, () => {
          acted = true;
          return { ok: true, sessions: 0 };
        });
        return !acted;
      }),
    );
  });
});
