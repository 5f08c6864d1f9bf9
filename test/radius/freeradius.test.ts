// The RADIUS client against a real FreeRADIUS 3.2 on loopback (issue 11): PAP accept/reject, CHAP-MD5,
// MS-CHAPv2 with the MS-CHAP2-Success verified, reply attributes, accounting Start/Stop, failover from a
// dead server, and tshark dissecting every packet clean. Related: test/support/freeradius.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chapMd5Response } from '../../src/chap/chap-md5.js';
import { generateAuthenticatorResponse, generateNtResponse } from '../../src/chap/mschapv2.js';
import { openRadiusTransport, type RadiusTransport } from '../../src/io/radius-transport.js';
import { systemRandom } from '../../src/io/system-random.js';
import {
  AcctStatusType,
  AcctTerminateCause,
  Attr,
  chapMd5Request,
  getIpaddr,
  MsAttr,
  makeAttribute,
  msChapV2Outcome,
  msChapV2Request,
  nasAttributes,
  papRequest,
  RadiusClient,
  type RadiusClientOptions,
  VENDOR_MICROSOFT,
} from '../../src/radius/index.js';
import { type Freeradius, freeradiusSkipReason, freeUdpPorts, startFreeradius } from '../support/freeradius.js';
import { tsharkAvailable, writeUdpPcap } from '../support/tshark.js';

const skip = freeradiusSkipReason();
const SECRET = 'l2t-radius-test';
const NAS = { nasIdentifier: 'l2tp-ts-test', nasPort: 7, callingStationId: '192.0.2.9' };
const ALICE = { name: 'alice', password: 's3cret' };

describe.skipIf(skip !== undefined)(`FreeRADIUS 3.2 ${skip === undefined ? '' : `(skipped: ${skip})`}`, () => {
  let radius: Freeradius;
  let transport: RadiusTransport;
  const wire: { bytes: Uint8Array; direction: 'sent' | 'received' }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'l2t-radius-pcap-'));

  const open = (opts: Partial<RadiusClientOptions> = {}) =>
    openRadiusTransport(
      new RadiusClient({
        authServers: [{ address: '127.0.0.1', port: radius.authPort, secret: SECRET }],
        acctServers: [{ address: '127.0.0.1', port: radius.acctPort, secret: SECRET }],
        random: systemRandom(),
        timeoutMs: 2000,
        retries: 2,
        ...opts,
      }),
      { bindAddress: '127.0.0.1', onWire: (bytes, direction) => wire.push({ bytes: bytes.slice(), direction }) },
    );

  beforeAll(async () => {
    radius = await startFreeradius({
      secret: SECRET,
      rejectMessage: 'Denied by test',
      users: [
        {
          ...ALICE,
          reply: ['Framed-IP-Address = 10.77.0.5', 'MS-Primary-DNS-Server = 10.77.0.53', 'Session-Timeout = 3600'],
        },
      ],
    });
    transport = await open();
  });
  afterAll(async () => {
    await transport?.close();
    await radius?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const explain = () => radius.log().slice(-4000);

  it('PAP: Access-Accept with Framed-IP-Address, MS-Primary-DNS-Server and Session-Timeout', async () => {
    const r = await transport.authenticate(papRequest(ALICE.name, ALICE.password, NAS));
    expect(r.type, explain()).toBe('access-accept');
    if (r.type !== 'access-accept') return;
    expect(getIpaddr(r.attributes, Attr.FramedIpAddress)).toBe('10.77.0.5');
    expect(getIpaddr(r.attributes, MsAttr.PrimaryDnsServer, VENDOR_MICROSOFT)).toBe('10.77.0.53');
    expect(r.attributes.some((a) => a.type === Attr.MessageAuthenticator)).toBe(true);
  });

  it('PAP with a wrong password: Access-Reject with its Reply-Message', async () => {
    const r = await transport.authenticate(papRequest(ALICE.name, 'wrong', NAS));
    expect(r.type, explain()).toBe('access-reject');
    expect(r.type === 'access-reject' && r.replyMessage).toBe('Denied by test');
  });

  it('CHAP-MD5: Access-Accept', async () => {
    const challenge = systemRandom().fill(new Uint8Array(16));
    const response = chapMd5Response(42, ALICE.password, challenge);
    const r = await transport.authenticate(chapMd5Request(ALICE.name, 42, challenge, response, NAS));
    expect(r.type, explain()).toBe('access-accept');
    const bad = await transport.authenticate(chapMd5Request(ALICE.name, 42, challenge, new Uint8Array(16), NAS));
    expect(bad.type).toBe('access-reject');
  });

  it('MS-CHAPv2: Access-Accept whose MS-CHAP2-Success is the RFC 2759 authenticator response', async () => {
    const rnd = systemRandom();
    const authChallenge = rnd.fill(new Uint8Array(16));
    const peerChallenge = rnd.fill(new Uint8Array(16));
    const nt = generateNtResponse(authChallenge, peerChallenge, ALICE.name, ALICE.password);
    const r = await transport.authenticate(msChapV2Request(ALICE.name, 5, authChallenge, peerChallenge, nt, NAS));
    expect(r.type, explain()).toBe('access-accept');
    if (r.type !== 'access-accept') return;
    const expected = generateAuthenticatorResponse(ALICE.password, nt, peerChallenge, authChallenge, ALICE.name);
    expect(msChapV2Outcome(r.attributes).success?.slice(0, 42)).toBe(expected);
    const wrongNt = generateNtResponse(authChallenge, peerChallenge, ALICE.name, 'nope');
    const bad = await transport.authenticate(
      msChapV2Request(ALICE.name, 6, authChallenge, peerChallenge, wrongNt, NAS),
    );
    expect(bad.type).toBe('access-reject');
    if (bad.type === 'access-reject') expect(msChapV2Outcome(bad.attributes).error).toMatch(/^E=691/);
  });

  it('RFC2866: Accounting-Request Start and Stop are acknowledged and reach the detail file', async () => {
    const base = [...nasAttributes({ ...NAS, acctSessionId: 'sess-0001' }), makeAttribute(Attr.UserName, ALICE.name)];
    const start = await transport.account([...base, makeAttribute(Attr.AcctStatusType, AcctStatusType.Start)]);
    expect(start.type, explain()).toBe('accounting-response');
    const stop = await transport.account([
      ...base,
      makeAttribute(Attr.AcctStatusType, AcctStatusType.Stop),
      makeAttribute(Attr.AcctSessionTime, 12),
      makeAttribute(Attr.AcctInputOctets, 1000),
      makeAttribute(Attr.AcctInputGigawords, 1),
      makeAttribute(Attr.AcctTerminateCause, AcctTerminateCause.UserRequest),
    ]);
    expect(stop.type, explain()).toBe('accounting-response');
    const detail = radius.detail();
    expect(detail).toMatch(/Acct-Status-Type = Start/);
    expect(detail).toMatch(/Acct-Status-Type = Stop/);
    expect(detail).toMatch(/Acct-Session-Id = "sess-0001"/);
    expect(detail).toMatch(/Acct-Input-Gigawords = 1/);
    expect(detail).toMatch(/Acct-Terminate-Cause = User-Request/);
  });

  it('a dead first server (nothing listening) fails over to FreeRADIUS', async () => {
    const [dead] = (await freeUdpPorts(1)) as [number];
    const events: string[] = [];
    const t = await openRadiusTransport(
      new RadiusClient({
        authServers: [
          { address: '127.0.0.1', port: dead, secret: SECRET },
          { address: '127.0.0.1', port: radius.authPort, secret: SECRET },
        ],
        random: systemRandom(),
        timeoutMs: 200,
        retries: 1,
      }),
      { bindAddress: '127.0.0.1', onEvent: (e) => events.push(e.type) },
    );
    try {
      const r = await t.authenticate(papRequest(ALICE.name, ALICE.password, NAS));
      expect(r.type, explain()).toBe('access-accept');
      expect(r.type === 'access-accept' && r.server.port).toBe(radius.authPort);
      expect(events).toContain('server-down');
      // Both dead: a clear timeout, nothing left pending.
      const none = await openRadiusTransport(
        new RadiusClient({
          authServers: [{ address: '127.0.0.1', port: dead, secret: SECRET }],
          random: systemRandom(),
          timeoutMs: 100,
          retries: 1,
        }),
        { bindAddress: '127.0.0.1' },
      );
      const r2 = await none.authenticate(papRequest(ALICE.name, ALICE.password, NAS));
      expect(r2.type).toBe('timeout');
      expect(none.client.pending).toBe(0);
      await none.close();
    } finally {
      await t.close();
    }
  });

  it('FreeRADIUS replies unsigned without the update-reply workaround: dropped, then a timeout', async () => {
    const old = await startFreeradius({ secret: SECRET, users: [ALICE], signReplies: false });
    const events: string[] = [];
    const t = await openRadiusTransport(
      new RadiusClient({
        authServers: [{ address: '127.0.0.1', port: old.authPort, secret: SECRET }],
        random: systemRandom(),
        timeoutMs: 300,
        retries: 0,
      }),
      { bindAddress: '127.0.0.1', onEvent: (e) => events.push(e.type === 'reply-dropped' ? e.reason : e.type) },
    );
    try {
      const r = await t.authenticate(papRequest(ALICE.name, ALICE.password, NAS));
      expect(r.type).toBe('timeout');
      expect(events).toContain('missing-message-authenticator');
    } finally {
      await t.close();
      await old.stop();
    }
  });

  it.skipIf(!tsharkAvailable())(
    'tshark dissects every RADIUS packet with no malformed packet and no expert warning',
    async () => {
      expect(wire.length).toBeGreaterThan(8);
      const pcap = join(dir, 'radius.pcap');
      writeUdpPcap(
        pcap,
        wire.map((w) =>
          w.direction === 'sent'
            ? { src: '127.0.0.1', dst: '127.0.0.2', srcPort: 40000, dstPort: 1812, payload: w.bytes }
            : { src: '127.0.0.2', dst: '127.0.0.1', srcPort: 1812, dstPort: 40000, payload: w.bytes },
        ),
      );
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          'tshark',
          [
            '-n',
            '-r',
            pcap,
            '-T',
            'fields',
            '-e',
            'frame.number',
            '-e',
            'radius.code',
            '-e',
            '_ws.malformed',
            '-e',
            '_ws.expert.severity',
          ],
          { encoding: 'utf8' },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message} ${stderr}`)) : resolve(stdout)),
        ),
      );
      const rows = out
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(rows).toHaveLength(wire.length);
      for (const [frame, code, malformed, severity] of rows) {
        expect(code, `frame ${frame} not dissected as RADIUS`).toMatch(/^\d+$/);
        expect(malformed ?? '', `frame ${frame} malformed`).toBe('');
        // Expert severities: 2097152 chat, 4194304 note, 6291456 warn, 8388608 error.
        for (const s of (severity ?? '').split(',').filter(Boolean))
          expect(Number(s), `frame ${frame}`).toBeLessThan(6291456);
      }
    },
  );
});
