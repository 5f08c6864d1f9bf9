// `l2tp-ts fuzz --role lns` over UDP: our mutating LNS (src/fuzz/lns-role.ts) on a real socket,
// and a real L2TP client (xl2tpd, an OpenWrt box, pppd + xl2tpd in a UML guest, our own `lac`)
// that dials it. Per case: the rules are armed, the client is made to dial (`dial`, e.g. a write
// to xl2tpd's control pipe), the call runs until the wire is quiet; then the oracles: the client
// process still alive (`alive`), every datagram it sent still L2TP (src/fuzz/lns-role-run.ts), and
// liveness — with the rules off, a fresh dial must establish a call again. Every tunnel is closed
// (StopCCN) before the next case, so each case starts from SCCRQ.
// Related: src/fuzz/lns-role.ts, src/fuzz/lns-role-run.ts, src/cli/fuzz.ts.
import type { PeerAddress } from '../core/engine.js';
import { seededRandom } from '../core/seeded-random.js';
import { caseSeed } from '../fuzz/fuzzer.js';
import { generateLnsRoleCase, type LnsRoleCase, MutatingLns } from '../fuzz/lns-role.js';
import {
  judgeClientDatagram,
  type RoleCaseResult,
  type RoleFinding,
  type RoleReport,
  tally,
} from '../fuzz/lns-role-run.js';
import { AddressPool } from '../lns/address-pool.js';
import { LnsEngine, type LnsEvent } from '../lns/lns.js';
import { monotonicNow } from './clock.js';
import { driveOverUdp } from './udp-driver.js';

/** Options of a campaign against a real client. */
export interface RoleUdpOptions {
  readonly listen: PeerAddress;
  readonly seed: number;
  readonly cases: number;
  readonly maxFindings?: number;
  /** Makes the client dial (one call); absent: the client dials by itself (autodial/redial). */
  readonly dial?: () => Promise<void>;
  /** False once the client process is gone (a crash). */
  readonly alive?: () => boolean;
  /** Credentials the LNS accepts (the client's); any other name fails authentication. */
  readonly user: string;
  readonly password: string;
  /** Real time one case may run (default 8 s). */
  readonly caseMs?: number;
  /** A case ends this long after the last datagram (default 1.5 s; above the peer's 3 s PPP restart timer for a slow client). */
  readonly quietMs?: number;
  /**
   * How far the liveness call must get: 'call' (ICCN: the L2TP call is up; xl2tpd on a host without
   * kernel PPP clears it right after) or 'session-up' (IPCP done: a client with a working pppd).
   */
  readonly livenessThrough?: 'call' | 'session-up';
  readonly onCase?: (r: RoleCaseResult) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the campaign; resolves with its report. */
export async function fuzzClientOverUdp(o: RoleUdpOptions): Promise<RoleReport> {
  const lns = new LnsEngine({
    random: seededRandom(o.seed ^ 0x1f2e3d4c),
    hostName: 'fuzz-lns',
    auth: ['mschapv2', 'chap', 'pap'],
    users: (u) => (u === o.user ? { secret: o.password } : undefined),
    pool: new AddressPool(['10.78.0.10-10.78.0.250'], { exclude: ['10.78.0.1'] }),
    localAddress: '10.78.0.1',
    userspace: true,
    ipv6: true,
  });
  const engine = new MutatingLns(lns, [], seededRandom(o.seed ^ 0x5a5a5a5a));
  const events: LnsEvent[] = [];
  let sessionUpAt: number | undefined;
  const upAt = (): number | undefined => sessionUpAt;
  let lastDatagram = 0;
  let malformed: string | undefined;
  const driver = await driveOverUdp(engine, {
    address: o.listen.address,
    port: o.listen.port,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'session-up') sessionUpAt ??= monotonicNow();
    },
    onDatagram: (bytes) => {
      lastDatagram = monotonicNow();
      malformed ??= judgeClientDatagram(bytes);
      return undefined;
    },
    onError: () => undefined,
  });
  const acc = { families: {}, reached: {}, events: {} } as Parameters<typeof tally>[1];
  const findings: RoleCaseResult[] = [];
  const caseMs = o.caseMs ?? 8000;
  const quietMs = o.quietMs ?? 1500;
  const through = o.livenessThrough ?? 'call';
  let cases = 0;

  /** Waits until `done()` or the time is up; resolves with done(). */
  const until = async (ms: number, done: () => boolean): Promise<boolean> => {
    const end = monotonicNow() + ms;
    while (monotonicNow() < end) {
      if (done()) return true;
      await sleep(50);
    }
    return done();
  };
  const closeTunnels = async (): Promise<void> => {
    driver.flush();
    const ids = [...lns.endpoint.tunnels()].filter((t) => t.state !== 'closed').map((t) => t.tunnelId);
    for (const id of ids) lns.disconnectTunnel(id, monotonicNow());
    driver.flush();
    // Until the StopCCNs are acknowledged (the client has let go); the §5.7 linger after that is ours alone.
    await until(10_000, () => !lns.endpoint.awaitingStopAck());
  };

  try {
    for (let index = 0; index < o.cases && findings.length < (o.maxFindings ?? 5); index++) {
      const c: LnsRoleCase = generateLnsRoleCase(seededRandom(caseSeed(o.seed, index) ^ 0x77777777));
      engine.reset(c.rules);
      engine.enabled = true;
      malformed = undefined;
      events.length = 0;
      sessionUpAt = undefined;
      const started = monotonicNow();
      lastDatagram = 0;
      await o.dial?.();
      // The case: until the wire has been quiet for quietMs after traffic, or IPCP has been up for
      // a second (what follows is LCP echo; rules on the teardown fire in closeTunnels below), or caseMs.
      await until(caseMs, () => {
        const t = monotonicNow();
        if (lastDatagram > 0 && t - lastDatagram > quietMs) return true;
        const up = upAt();
        return up !== undefined && t - up > 1000;
      });
      const progress = {
        sent: [...engine.progress.sent],
        events: [...engine.progress.events],
        fired: [...engine.progress.fired],
      };
      let finding: RoleFinding | undefined;
      if (o.alive !== undefined && !o.alive()) finding = { kind: 'crash', message: 'the client process is gone' };
      else if (malformed !== undefined) finding = { kind: 'reply-malformed', message: malformed };
      else if (lastDatagram === 0 && monotonicNow() - started >= caseMs && o.dial !== undefined) {
        finding = { kind: 'liveness', message: 'the client sent nothing after the dial' };
      }
      if (finding === undefined) {
        // Liveness: rules off, a fresh tunnel and call.
        await closeTunnels();
        engine.enabled = false;
        events.length = 0;
        await o.dial?.();
        const want = through === 'call' ? 'session-started' : 'session-up';
        const live = await until(15_000, () => events.some((e) => e.type === want));
        if (!live) {
          finding = {
            kind: o.alive !== undefined && !o.alive() ? 'crash' : 'liveness',
            message:
              o.alive !== undefined && !o.alive()
                ? 'the client process is gone'
                : `after the case, a clean dial did not reach ${through === 'call' ? 'ICCN' : 'IPCP up'} within 15 s`,
          };
        }
      }
      await closeTunnels();
      const r: RoleCaseResult = { index, case: c, ...(finding !== undefined && { finding }), ...progress };
      cases++;
      tally(r, acc);
      if (finding !== undefined) findings.push(r);
      o.onCase?.(r);
    }
  } finally {
    await driver.close();
  }
  return { target: `udp client via ${o.listen.address}:${o.listen.port}`, seed: o.seed, cases, ...acc, findings };
}
