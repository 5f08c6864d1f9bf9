// The sans-IO RADIUS client on virtual time, against an in-process server built from the codec.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PeerAddress, Transmit } from '../../src/core/engine.js';
import { papRequest } from '../../src/radius/auth-attributes.js';
import { RadiusClient, type RadiusClientEvent, type RadiusClientOptions } from '../../src/radius/client.js';
import { encodeResponse, unhideUserPassword, verifyRequest } from '../../src/radius/wire/authenticators.js';
import { AcctStatusType, Attr, Code } from '../../src/radius/wire/dictionary.js';
import { type DecodedPacket, decodePacket, type RadiusAttribute } from '../../src/radius/wire/packet.js';
import { getInteger, getOctets, getText, makeAttribute } from '../../src/radius/wire/values.js';
import { seededRandom } from '../support/seeded-random.js';

const A = { address: '10.0.0.1', port: 1812, secret: 'sa' };
const B = { address: '10.0.0.2', port: 1812, secret: 'sb' };
const ACCT_A = { address: '10.0.0.1', port: 1813, secret: 'sa' };
const ACCT_B = { address: '10.0.0.2', port: 1813, secret: 'sb' };
const NAS = { nasIdentifier: 'lns1', nasPort: 3 };

function client(opts: Partial<RadiusClientOptions> = {}) {
  return new RadiusClient({
    authServers: [A, B],
    acctServers: [ACCT_A, ACCT_B],
    random: seededRandom(11),
    timeoutMs: 1000,
    retries: 2,
    ...opts,
  });
}

function drain(c: RadiusClient): { sent: Transmit[]; events: RadiusClientEvent[] } {
  const sent: Transmit[] = [];
  const events: RadiusClientEvent[] = [];
  for (let t = c.pollTransmit(); t; t = c.pollTransmit()) sent.push(t);
  for (let e = c.pollEvent(); e; e = c.pollEvent()) events.push(e);
  return { sent, events };
}

const decode = (b: Uint8Array): DecodedPacket => {
  const r = decodePacket(b);
  if (!r.ok) throw new Error(r.fault.code);
  return r.value;
};

/** The server's answer to `t`, signed with `secret` (wrong MA / none when asked). */
function answer(
  t: Transmit,
  secret: string,
  code: number,
  attributes: RadiusAttribute[] = [],
  how: 'signed' | 'unsigned' | 'wrong-ma' = 'signed',
  requestSecret = secret,
): Uint8Array {
  const req = decode(t.bytes);
  expect(verifyRequest(t.bytes, req, requestSecret)).toBeUndefined();
  return encodeResponse({ code, identifier: req.identifier, attributes }, req.authenticator, secret, {
    messageAuthenticator: how !== 'unsigned',
    ...(how === 'wrong-ma' ? { messageAuthenticatorVector: new Uint8Array(16).fill(9) } : {}),
  });
}

const from = (s: { address: string; port: number }): PeerAddress => ({ address: s.address, port: s.port });

describe('RadiusClient: authentication', () => {
  it('RFC2865-5.2: PAP Access-Request, signed, password hidden with the server secret; Access-Accept', () => {
    const c = client();
    const id = c.authenticate(papRequest('alice', 's3cret', NAS), 0);
    const { sent } = drain(c);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toEqual(from(A));
    const req = decode(sent[0]!.bytes);
    expect(req.attributes[0]!.type).toBe(Attr.MessageAuthenticator);
    expect(getText(req.attributes, Attr.UserName)).toBe('alice');
    expect(getInteger(req.attributes, Attr.NasPortType)).toBe(5);
    const pw = unhideUserPassword(getOctets(req.attributes, Attr.UserPassword)!, 'sa', req.authenticator);
    expect(new TextDecoder().decode(pw)).toBe('s3cret');
    c.handleDatagram(
      answer(sent[0]!, 'sa', Code.AccessAccept, [makeAttribute(Attr.FramedIpAddress, '10.9.0.7')]),
      from(A),
      5,
    );
    const { events } = drain(c);
    expect(events).toMatchObject([{ type: 'access-accept', requestId: id, server: from(A) }]);
    expect(c.pending).toBe(0);
    expect(c.pollTimeout()).toBeUndefined();
  });

  it('Access-Reject carries the Reply-Message', () => {
    const c = client();
    c.authenticate(papRequest('alice', 'bad', NAS), 0);
    const { sent } = drain(c);
    c.handleDatagram(
      answer(sent[0]!, 'sa', Code.AccessReject, [makeAttribute(Attr.ReplyMessage, 'no way')]),
      from(A),
      1,
    );
    expect(drain(c).events).toMatchObject([{ type: 'access-reject', replyMessage: 'no way' }]);
  });

  it('CVE-2024-3596: a reply with a wrong or no Message-Authenticator is dropped and the request keeps waiting', () => {
    const c = client();
    const id = c.authenticate(papRequest('alice', 'x', NAS), 0);
    const t = drain(c).sent[0]!;
    c.handleDatagram(answer(t, 'sa', Code.AccessAccept, [], 'wrong-ma'), from(A), 1);
    c.handleDatagram(answer(t, 'sa', Code.AccessAccept, [], 'unsigned'), from(A), 1);
    c.handleDatagram(answer(t, 'sb', Code.AccessAccept, [], 'signed', 'sa'), from(A), 1); // another secret
    expect(drain(c).events).toEqual([
      { type: 'reply-dropped', from: from(A), reason: 'bad-message-authenticator' },
      { type: 'reply-dropped', from: from(A), reason: 'missing-message-authenticator' },
      { type: 'reply-dropped', from: from(A), reason: 'bad-response-authenticator' },
    ]);
    expect(c.pending).toBe(1);
    c.handleDatagram(answer(t, 'sa', Code.AccessReject), from(A), 2);
    expect(drain(c).events).toMatchObject([{ type: 'access-reject', requestId: id }]);
  });

  it('acceptUnsignedReplies lets an unsigned reply in; a wrongly signed one still is not', () => {
    const c = client({ acceptUnsignedReplies: true });
    c.authenticate(papRequest('alice', 'x', NAS), 0);
    const t = drain(c).sent[0]!;
    c.handleDatagram(answer(t, 'sa', Code.AccessAccept, [], 'wrong-ma'), from(A), 1);
    c.handleDatagram(answer(t, 'sa', Code.AccessAccept, [], 'unsigned'), from(A), 1);
    expect(drain(c).events.map((e) => e.type)).toEqual(['reply-dropped', 'access-accept']);
  });

  it('replies from elsewhere, to no request, or of the wrong code are dropped', () => {
    const c = client();
    c.authenticate(papRequest('alice', 'x', NAS), 0);
    const t = drain(c).sent[0]!;
    const good = answer(t, 'sa', Code.AccessAccept);
    c.handleDatagram(good, { address: '10.0.0.9', port: 1812 }, 1);
    c.handleDatagram(good, from(B), 1);
    c.handleDatagram(answer(t, 'sa', Code.AccountingResponse), from(A), 1);
    const other = good.slice();
    other[1] = (other[1]! + 1) & 0xff;
    c.handleDatagram(other, from(A), 1);
    c.handleDatagram(good.subarray(0, 10), from(A), 1);
    expect(drain(c).events.map((e) => e.type === 'reply-dropped' && e.reason)).toEqual([
      'unknown-server',
      'unknown-identifier',
      'unexpected-code',
      'unknown-identifier',
      'packet-truncated',
    ]);
  });

  it('RFC5080-2.2.1: retransmits the same datagram, then fails over with a new one, then times out', () => {
    const c = client();
    const id = c.authenticate(papRequest('alice', 'x', NAS), 0);
    const first = drain(c).sent[0]!;
    const seen: Transmit[] = [first];
    let now = 0;
    const events: RadiusClientEvent[] = [];
    for (let deadline = c.pollTimeout(); deadline !== undefined; deadline = c.pollTimeout()) {
      now = deadline;
      c.handleTimeout(now);
      const d = drain(c);
      seen.push(...d.sent);
      events.push(...d.events);
    }
    expect(seen.map((t) => t.to.address)).toEqual([
      '10.0.0.1',
      '10.0.0.1',
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.2',
      '10.0.0.2',
    ]);
    expect(seen[1]!.bytes).toEqual(first.bytes);
    expect(seen[2]!.bytes).toEqual(first.bytes);
    const onB = decode(seen[3]!.bytes);
    expect(verifyRequest(seen[3]!.bytes, onB, 'sb')).toBeUndefined();
    expect(onB.authenticator).not.toEqual(decode(first.bytes).authenticator);
    expect(events).toEqual([
      { type: 'server-down', server: from(A) },
      { type: 'server-down', server: from(B) },
      { type: 'timeout', requestId: id },
    ]);
    expect(now).toBe(6000);
    expect(c.pending).toBe(0);
  });

  it('a dead first server is skipped by new requests until it answers again', () => {
    const c = client({ deadTimeMs: 60_000 });
    c.authenticate(papRequest('alice', 'x', NAS), 0);
    drain(c);
    for (let t = 1000; t <= 3000; t += 1000) c.handleTimeout(t);
    const failover = drain(c);
    expect(failover.events).toEqual([{ type: 'server-down', server: from(A) }]);
    c.handleDatagram(answer(failover.sent.at(-1)!, 'sb', Code.AccessAccept), from(B), 3100);
    drain(c);
    c.authenticate(papRequest('bob', 'x', NAS), 4000);
    const next = drain(c).sent;
    expect(next.map((t) => t.to)).toEqual([from(B)]);
    c.handleDatagram(answer(next[0]!, 'sb', Code.AccessAccept), from(B), 4001);
    drain(c);
    c.authenticate(papRequest('carol', 'x', NAS), 70_000); // dead time over: A again
    expect(drain(c).sent.map((t) => t.to)).toEqual([from(A)]);
  });

  it('256 outstanding per server (8-bit Identifier); then a bounded queue; then refused', () => {
    const c = client({ authServers: [A], maxQueued: 2 });
    const ids = Array.from({ length: 259 }, () => c.authenticate(papRequest('u', 'x', NAS), 0));
    const { sent, events } = drain(c);
    expect(sent).toHaveLength(256);
    expect(new Set(sent.map((t) => t.bytes[1])).size).toBe(256);
    expect(events).toEqual([{ type: 'refused', requestId: ids[258], reason: 'queue-full' }]);
    c.handleDatagram(answer(sent[0]!, 'sa', Code.AccessAccept), from(A), 1);
    const after = drain(c);
    expect(after.events).toMatchObject([{ type: 'access-accept', requestId: ids[0] }]);
    expect(after.sent).toHaveLength(1); // the first waiting request took the freed Identifier
    expect(c.pending).toBe(257);
    expect(c.cancel(ids[257]!)).toBe(true);
    expect(c.cancel(ids[257]!)).toBe(false);
  });

  it('never throws on garbage from a server, and still completes a request afterwards', () => {
    const c = client();
    c.authenticate(papRequest('alice', 'x', NAS), 0);
    const t = drain(c).sent[0]!;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        c.handleDatagram(b, from(A), 1);
      }),
      { seed: 5176, numRuns: 3000 },
    );
    drain(c);
    c.handleDatagram(answer(t, 'sa', Code.AccessAccept), from(A), 2);
    expect(drain(c).events.map((e) => e.type)).toEqual(['access-accept']);
  });
});

describe('RadiusClient: accounting', () => {
  const start = [makeAttribute(Attr.AcctStatusType, AcctStatusType.Start), makeAttribute(Attr.AcctSessionId, 's1')];

  it('RFC2866-2: retransmitted through every server round after round until acknowledged', () => {
    const c = client();
    const id = c.account(start, 0);
    const sent = drain(c).sent;
    for (let now = 1000; now <= 8000; now += 1000) {
      c.handleTimeout(now);
      sent.push(...drain(c).sent);
    }
    expect(sent.map((t) => `${t.to.address}:${t.to.port}`)).toEqual([
      ...Array(3).fill('10.0.0.1:1813'),
      ...Array(3).fill('10.0.0.2:1813'),
      ...Array(3).fill('10.0.0.1:1813'),
    ]);
    const last = sent.at(-1)!;
    const req = decode(last.bytes);
    expect(verifyRequest(last.bytes, req, 'sa')).toBeUndefined();
    expect(getInteger(req.attributes, Attr.AcctDelayTime)).toBe(6); // RFC 2866 §5.2, re-encoded on failover
    c.handleDatagram(answer(last, 'sa', Code.AccountingResponse), from(ACCT_A), 8500);
    // elapsedMs spans every retransmission and failover since the request was submitted at 0.
    expect(drain(c).events.at(-1)).toEqual({
      type: 'accounting-response',
      requestId: id,
      server: from(ACCT_A),
      elapsedMs: 8500,
    });
    expect(c.pending).toBe(0);
  });

  it('the accounting queue is bounded', () => {
    const c = client({ maxAccounting: 2 });
    c.account(start, 0);
    c.account(start, 0);
    const third = c.account(start, 0);
    expect(drain(c).events).toEqual([{ type: 'refused', requestId: third, reason: 'queue-full' }]);
  });
});
