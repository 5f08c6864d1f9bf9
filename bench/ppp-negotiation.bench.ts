// CPU per PPP session setup: LCP + authentication + IPCP, an LNS PppLink and a LAC PppLink joined
// in-process (frames handed across directly, no loss, virtual time). Related: src/ppp/link.ts,
// docs/BENCHMARKS.md "PPP".
//
//   node --import tsx bench/ppp-negotiation.bench.ts [--sessions 3000] [--runs 5]
import {
  createChapMd5Client,
  createChapMd5Server,
  createMsChapV2Client,
  createMsChapV2Server,
  createPapClient,
  createPapServer,
} from '../src/chap/index.js';
import type { AuthOffer } from '../src/core/auth-engine.js';
import type { Random } from '../src/core/random.js';
import { seededRandom } from '../src/core/seeded-random.js';
import { PppLink } from '../src/ppp/link.js';
import { decodeCpPacket } from '../src/ppp/wire/cp-packet.js';
import { formatFrame } from '../src/ppp/wire/format.js';
import { PppFrameView } from '../src/ppp/wire/frame.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const SESSIONS = arg('sessions', 3000);
const RUNS = arg('runs', 5);

type Method = 'none' | 'pap' | 'chap-md5' | 'mschapv2';
const lookup = (u: string): string | undefined => (u === 'user' ? 'password' : undefined);

function methods(m: Method, random: Random): { server: AuthOffer[]; client: AuthOffer[] } {
  switch (m) {
    case 'none':
      return { server: [], client: [] };
    case 'pap':
      return {
        server: [{ protocol: 0xc023, label: 'pap', create: () => createPapServer({ lookup }) }],
        client: [
          { protocol: 0xc023, label: 'pap', create: () => createPapClient({ user: 'user', password: 'password' }) },
        ],
      };
    case 'chap-md5':
      return {
        server: [
          {
            protocol: 0xc223,
            algorithm: 5,
            label: 'chap-md5',
            create: () => createChapMd5Server({ random, name: 'lns', lookup }),
          },
        ],
        client: [
          {
            protocol: 0xc223,
            algorithm: 5,
            label: 'chap-md5',
            create: () => createChapMd5Client({ user: 'user', password: 'password' }),
          },
        ],
      };
    case 'mschapv2':
      return {
        server: [
          {
            protocol: 0xc223,
            algorithm: 0x81,
            label: 'mschapv2',
            create: () => createMsChapV2Server({ random, name: 'lns', lookup }),
          },
        ],
        client: [
          {
            protocol: 0xc223,
            algorithm: 0x81,
            label: 'mschapv2',
            create: () => createMsChapV2Client({ user: 'user', password: 'password', random }),
          },
        ],
      };
  }
}

/** One full negotiation; returns false if it did not reach Network on both sides. */
function session(m: Method, random: Random): boolean {
  const auth = methods(m, random);
  const lns = new PppLink({
    role: 'lns',
    random,
    mru: 1400,
    authServers: auth.server,
    assignAddress: () => ({ local: '10.1.20.30', peer: '10.1.20.31' }),
    dns: ['10.1.20.1'],
  });
  const lac = new PppLink({ role: 'lac', random, authClients: auth.client });
  lns.open(0);
  lac.open(0);
  for (let guard = 0; guard < 100; guard++) {
    let moved = false;
    for (let f = lns.pollFrame(); f !== undefined; f = lns.pollFrame()) {
      moved = true;
      lac.handleFrame(f, 1);
    }
    for (let f = lac.pollFrame(); f !== undefined; f = lac.pollFrame()) {
      moved = true;
      lns.handleFrame(f, 1);
    }
    while (lns.pollEvent() !== undefined);
    while (lac.pollEvent() !== undefined);
    if (!moved) break;
  }
  return lns.ipUp && lac.ipUp;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(label: string, n: number, fn: () => void): number {
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / n);
  }
  const us = median(samples);
  const best = Math.min(...samples);
  console.log(
    `${label.padEnd(44)} ${us.toFixed(2).padStart(9)} µs CPU median, ${best.toFixed(2).padStart(9)} best  (${RUNS} runs × ${n})`,
  );
  return us;
}

// The project's one seeded Random: deterministic runs, and cheap next to a CSPRNG.
const random = seededRandom(0x1661);
for (const m of ['none', 'pap', 'chap-md5', 'mschapv2'] as const) {
  if (!session(m, random)) throw new Error(`${m}: negotiation did not complete`);
  for (let i = 0; i < 200; i++) session(m, random); // warm-up
  measure(`session setup, both sides, auth=${m}`, SESSIONS, () => session(m, random));
}

// Codec micro-benchmarks on the hot-ish control path.
const confReq = Uint8Array.from([
  0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x1e, 0x01, 0x04, 0x05, 0xb6, 0x03, 0x05, 0xc2, 0x23, 0x05, 0x05, 0x06,
  0x6b, 0x08, 0xb6, 0x14, 0x11, 0x04, 0x06, 0x4e, 0x13, 0x07, 0x02, 0x0a, 0xc9, 0x63, 0x01,
]);
const view = new PppFrameView();
measure('PppFrameView.wrap + decodeCpPacket (LCP)', 200_000, () => {
  view.wrap(confReq);
  decodeCpPacket(view.information);
});
measure('formatFrame (LCP ConfReq, 5 options)', 50_000, () => void formatFrame(confReq));
