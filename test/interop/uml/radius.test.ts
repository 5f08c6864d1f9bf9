// `l2tp-ts lns` with pppd's `plugin radius.so` configuration against a real FreeRADIUS 3.2, and real
// xl2tpd + pppd clients in user-mode-linux guests (issue 11): MS-CHAPv2 decided by FreeRADIUS, whose
// MS-CHAP2-Success pppd verifies; PAP through RADIUS; Framed-IP-Address and the MS DNS attributes
// of the reply reach pppd; an Access-Reject reaches pppd as an authentication failure.
// FreeRADIUS runs inside the lab's network namespace, on its loopback, beside the LNS.
// Related: lns.test.ts (the same clients with chap-secrets), test/lns/radius-lns.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Freeradius, freeradiusSkipReason, startFreeradius } from '../../support/freeradius.js';
import { acquireUmlLock, BRIDGE_IP, UmlLab, umlSkipReason } from './harness.js';
import { LNS_LOCAL_IP, lnsSkipReason, startLns } from './lns-under-test.js';

const skip = umlSkipReason() ?? lnsSkipReason() ?? freeradiusSkipReason();
const SECRET = 'l2t-uml-radius';

let release: (() => void) | undefined;
beforeAll(async () => {
  if (skip === undefined) release = await acquireUmlLock(300_000);
}, 310_000);
afterAll(() => release?.());

describe.skipIf(skip !== undefined)(`UML pppd clients through RADIUS${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let lab: UmlLab;
  let radius: Freeradius;

  beforeAll(async () => {
    lab = await UmlLab.create({ scenario: 'l2tp-ts-radius' });
    radius = await startFreeradius({
      secret: SECRET,
      netns: lab.ns,
      rejectMessage: 'Denied by RADIUS',
      users: [
        {
          name: 'radia',
          password: 'radia-pw',
          reply: [
            'Framed-IP-Address = 10.204.20.44',
            'MS-Primary-DNS-Server = 10.204.0.53',
            'MS-Secondary-DNS-Server = 10.204.0.54',
          ],
        },
        { name: 'pappy', password: 'pappy-pw' },
      ],
    });
    // The seed with CHAP-MD5 and PAP allowed beside MS-CHAPv2, and the radius plugin: chap-secrets is
    // not consulted.
    await startLns(lab, {
      auth: 'pap',
      extraOptions: ['require-chap'],
      radius: { authPort: radius.authPort, acctPort: radius.acctPort, secret: SECRET },
    });
  }, 120_000);
  afterAll(async () => {
    try {
      await lab?.stopCapture();
    } finally {
      await radius?.stop();
      await lab?.dispose();
    }
  }, 60_000);

  const explain = () => `\n--- FreeRADIUS ---\n${radius.log().slice(-2500)}`;

  it('RFC2759 + RFC2548: MS-CHAPv2 decided by FreeRADIUS; pppd verifies its MS-CHAP2-Success; Framed-IP-Address and DNS from the reply', async () => {
    const r = await lab
      .bootLac({ lnsIp: BRIDGE_IP, name: 'lac1', auth: 'mschapv2', user: 'radia', password: 'radia-pw' })
      .finish(60_000);
    const why = `rc=${r.rc} pppd: ${r.pppdLines.join(' | ')}${explain()}`;
    expect(r.pppUp, why).toBe(true);
    expect(r.localIp, why).toBe('10.204.20.44');
    expect(r.remoteIp, why).toBe(LNS_LOCAL_IP);
    expect(r.dns, why).toEqual(['10.204.0.53', '10.204.0.54']);
    expect(r.ping, why).toBe('ok');
    // pppd logs the authenticator check it made (RFC 2759 §8.8: "MS-CHAP authentication succeeded").
    expect(r.pppdLines.join('\n'), why).not.toMatch(/authentication failed|bad response/i);
  }, 120_000);

  it('RFC1994: CHAP-MD5 through RADIUS (CHAP-Password + CHAP-Challenge), a pool address', async () => {
    const r = await lab
      .bootLac({ lnsIp: BRIDGE_IP, name: 'lac4', auth: 'chap', user: 'pappy', password: 'pappy-pw' })
      .finish(60_000);
    const why = `rc=${r.rc} pppd: ${r.pppdLines.join(' | ')}${explain()}`;
    expect(r.pppUp, why).toBe(true);
    // CHAP-MD5 itself, not MS-CHAP: pppd names the method it authenticated with.
    expect(r.pppdLines.join('\n'), why).toMatch(/^CHAP authentication succeeded: Access granted$/m);
    expect(r.ping, why).toBe('ok');
  }, 120_000);

  it('PAP through RADIUS: a user only FreeRADIUS knows gets a pool address', async () => {
    const r = await lab
      .bootLac({ lnsIp: BRIDGE_IP, name: 'lac2', auth: 'pap', user: 'pappy', password: 'pappy-pw' })
      .finish(60_000);
    const why = `rc=${r.rc} pppd: ${r.pppdLines.join(' | ')}${explain()}`;
    expect(r.pppUp, why).toBe(true);
    expect(r.localIp, why).toMatch(/^10\.204\.20\.(3[1-9]|4\d|50)$/);
    expect(r.ping, why).toBe('ok');
  }, 120_000);

  it('an Access-Reject reaches pppd as an MS-CHAPv2 Failure (E=691) carrying the Reply-Message', async () => {
    const r = await lab
      .bootLac({ lnsIp: BRIDGE_IP, name: 'lac3', auth: 'mschapv2', user: 'radia', password: 'wrong' })
      .finish(60_000);
    const why = `rc=${r.rc} pppd: ${r.pppdLines.join(' | ')}${explain()}`;
    expect(r.pppUp, why).toBe(false);
    const lines = r.pppdLines.join('\n');
    expect(lines, why).toMatch(
      /rcvd \[CHAP Failure id=0x[0-9a-f]+ "E=691 R=\d C=[0-9a-f]{32} V=3 M=Denied by RADIUS"\]/,
    );
    expect(lines, why).toMatch(/MS-CHAP authentication failed: Denied by RADIUS/);
    expect(radius.log()).toMatch(/Login incorrect.*\[radia/);
  }, 120_000);
});
