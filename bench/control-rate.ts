// Control messages per second on one tunnel (issue 10 item 5): after SCCRQ/SCCRP/SCCCN a raw LAC
// keeps the LNS's receive window full of HELLOs (RFC 2661 §6.5, each one a reliable control
// message with its own Ns) and counts what the LNS acknowledges (Nr in its ZLBs or messages), per
// second, for our LNS and l2tpns in one run. Nothing else is on the tunnel, so the figure is the
// control channel alone: window, acknowledgement policy (§5.8) and the cost of one message.
// Related: bench/setup-rate.ts (same lab and pinning), src/l2tp/control-channel.ts.
//
//   node --import tsx bench/control-rate.ts [--seconds 5] [--runs 2] [--targets ours,l2tpns] [--rws 16]
//
// Topology: netns LNS (10.206.2.1 ours, .2 l2tpns) —veth— netns LAC (10.206.2.100).
import { createSocket, type Socket } from 'node:dgram';
import { loadavg } from 'node:os';
import { serialDiff } from '../src/core/serial.js';
import { AvpType } from '../src/l2tp/wire/avp-catalogue.js';
import { CONTROL_HEADER_LENGTH, L2tpHeaderView, writeControlHeader } from '../src/l2tp/wire/header.js';
import {
  avpBytes,
  avpU16,
  type ControlMessage,
  decodeControlMessage,
  encodeControlPacket,
  makeBytesAvp,
  makeResultCodeAvp,
  makeStringAvp,
  makeU16Avp,
  makeU32Avp,
} from '../src/l2tp/wire/message.js';
import { MessageType } from '../src/l2tp/wire/message-catalogue.js';
import { challengeResponse } from '../src/l2tp/wire/tunnel-auth.js';
import { labSkipReason, NetLab } from '../test/support/netns.js';
import { startL2tpns } from '../test/support/peers/l2tpns.js';
import { cpuMsOf, findProcess, machineNote, median, pin, sleep, startLnsChild } from './lib/procs.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const SECONDS = Number(arg('seconds', '5'));
const RUNS = Number(arg('runs', '2'));
const TARGETS = arg('targets', 'ours,l2tpns').split(',');
const RWS = Number(arg('rws', '16'));
const SECRET = 'crsecret';
const LNS_BASE = '10.206.2';
const LAC = '10.206.2.100';
/** Our own receive window: the LNS sends next to nothing on this tunnel, so any size does. */
const OUR_RWS = 64;
/** No acknowledgement progress for this long: resend everything unacknowledged (a crude §5.8 timer). */
const STALL_MS = 1000;

/** What one flood measured. */
interface Flood {
  acked: number;
  seconds: number;
  perSecond: number[];
  retransmits: number;
  peerWindow: number;
}

/**
 * One tunnel to `address`:1701 from `socket`: the handshake, then HELLOs at window speed for
 * `seconds`, then StopCCN. Rejects when the LNS does not answer the SCCRQ in 3 s.
 */
async function flood(socket: Socket, address: string, seconds: number): Promise<Flood> {
  const ourTid = 1 + Math.floor(Math.random() * 60_000);
  const view = new L2tpHeaderView();
  let peerTid = 0;
  let peerWindow = 4;
  let nextNs = 0;
  let nr = 0; // next Ns we expect from the LNS
  let ackedNs = 0; // the LNS's last Nr: every Ns below it is acknowledged
  let ackedTotal = 0; // messages acknowledged so far (Ns wraps at 65,536; this does not)
  let lastProgress = performance.now();
  let retransmits = 0;
  const unacked = new Map<number, ControlMessage>();

  const send = (msg: ControlMessage, ns: number): void => {
    socket.send(encodeControlPacket({ tunnelId: peerTid, sessionId: 0, ns, nr }, msg), 1701, address);
  };
  const sendReliable = (msg: ControlMessage): void => {
    unacked.set(nextNs, msg);
    send(msg, nextNs);
    nextNs = (nextNs + 1) & 0xffff;
  };
  const zlb = (): void => {
    const b = new Uint8Array(CONTROL_HEADER_LENGTH);
    writeControlHeader(b, 0, CONTROL_HEADER_LENGTH, peerTid, 0, nextNs, nr);
    socket.send(b, 1701, address);
  };

  let onSccrp: ((msg: ControlMessage) => void) | undefined;
  const onMessage = (b: Buffer): void => {
    const u = new Uint8Array(b.buffer, b.byteOffset, b.length);
    if (view.wrap(u) !== undefined || !view.isControl || view.tunnelId !== ourTid) return;
    const peerNr = view.nr;
    const advanced = serialDiff(peerNr, ackedNs);
    if (advanced > 0 && advanced <= unacked.size) {
      for (let n = ackedNs; n !== peerNr; n = (n + 1) & 0xffff) unacked.delete(n);
      ackedNs = peerNr;
      ackedTotal += advanced;
      lastProgress = performance.now();
    }
    const body = view.body;
    if (body.length === 0) return; // ZLB
    if (view.ns === nr) {
      nr = (nr + 1) & 0xffff;
      const d = decodeControlMessage(body);
      if (d.ok && d.value.type === MessageType.SCCRP) onSccrp?.(d.value);
    }
    zlb(); // acknowledge whatever it was (a HELLO of its own, a duplicate)
  };
  socket.on('message', onMessage);
  try {
    const sccrp = await new Promise<ControlMessage>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no SCCRP from ${address} in 3 s`)), 3000);
      onSccrp = (m) => {
        clearTimeout(t);
        resolve(m);
      };
      sendReliable({
        type: MessageType.SCCRQ,
        avps: [
          makeU16Avp(AvpType.ProtocolVersion, 0x0100),
          makeStringAvp(AvpType.HostName, 'control-rate'),
          makeU32Avp(AvpType.FramingCapabilities, 3),
          makeU16Avp(AvpType.AssignedTunnelId, ourTid),
          makeU16Avp(AvpType.ReceiveWindowSize, OUR_RWS),
        ],
      });
    });
    peerTid = avpU16(sccrp, AvpType.AssignedTunnelId) ?? 0;
    peerWindow = avpU16(sccrp, AvpType.ReceiveWindowSize) ?? 4; // §4.4.3: absent means 4
    const challenge = avpBytes(sccrp, AvpType.Challenge);
    const secret = new TextEncoder().encode(SECRET);
    sendReliable({
      type: MessageType.SCCCN,
      avps:
        challenge === undefined
          ? []
          : [makeBytesAvp(AvpType.ChallengeResponse, challengeResponse(MessageType.SCCCN, secret, challenge))],
    });
    const start = ackedTotal;
    const perSecond: number[] = [];
    const t0 = performance.now();
    let second = t0 + 1000;
    let atSecond = ackedTotal;
    const hello: ControlMessage = { type: MessageType.HELLO, avps: [] };
    // Fill the window whenever an acknowledgement opens it; one macrotask per turn so receives run.
    await new Promise<void>((resolve) => {
      const step = (): void => {
        const now = performance.now();
        if (now >= second) {
          perSecond.push(ackedTotal - atSecond);
          atSecond = ackedTotal;
          second += 1000;
        }
        if (now - t0 >= seconds * 1000) {
          resolve();
          return;
        }
        if (now - lastProgress > STALL_MS) {
          for (const [ns, m] of unacked) send(m, ns);
          retransmits += unacked.size;
          lastProgress = now;
        }
        while (unacked.size < peerWindow) sendReliable(hello);
        setImmediate(step);
      };
      step();
    });
    const elapsed = (performance.now() - t0) / 1000;
    // Acknowledged messages since the SCCRP (the SCCCN is one of them).
    const acked = ackedTotal - start;
    sendReliable({
      type: MessageType.StopCCN,
      avps: [makeU16Avp(AvpType.AssignedTunnelId, ourTid), makeResultCodeAvp(AvpType.ResultCode, 1)],
    });
    await sleep(300);
    return { acked, seconds: elapsed, perSecond, retransmits, peerWindow };
  } finally {
    socket.off('message', onMessage);
  }
}

const skip = labSkipReason(['taskset', ...(TARGETS.includes('l2tpns') ? ['l2tpns', 'freeradius'] : [])]);
if (skip !== undefined) {
  process.stderr.write(`control-rate: ${skip}\n`);
  process.exit(2);
}
const hardStop = setTimeout(
  () => {
    process.stderr.write('control-rate: hard time limit reached\n');
    process.exit(3);
  },
  (RUNS * TARGETS.length * (SECONDS + 10) + 60) * 1000,
);
hardStop.unref();

pin(process.pid, 0);
const lab = new NetLab('cr');
const load0 = loadavg()[0]!;
interface Row {
  target: string;
  flood: Flood;
  lnsCpuMs: number;
}
const rows: Row[] = [];
try {
  const nsLns = lab.addNamespace();
  const nsLac = lab.addNamespace();
  const veth = lab.addVeth({ ns: nsLns, address: `${LNS_BASE}.1/24` }, { ns: nsLac, address: `${LAC}/24` });
  const targets: { name: string; address: string; cpuMs: () => Promise<number> | number; stop: () => Promise<void> }[] =
    [];
  for (const [i, name] of TARGETS.entries()) {
    const address = `${LNS_BASE}.${i + 1}`;
    if (i > 0) lab.addAddress(nsLns, veth.ifA, `${address}/24`);
    if (name === 'ours') {
      const lns = await startLnsChild({
        address,
        port: 1701,
        auth: 'chap',
        user: 'alice',
        password: 's3cret',
        cpu: 1,
        netns: nsLns,
        receiveWindow: RWS,
      });
      targets.push({ name, address, cpuMs: () => cpuMsOf(lns.pid), stop: () => lns.stop() });
    } else if (name === 'l2tpns') {
      const l2tpns = await startL2tpns(lab, {
        ns: nsLns,
        bindAddress: address,
        secret: SECRET,
        tunAddress: '10.206.98.1',
        pool: '10.208.0.0/16',
        hostName: 'cr-l2tpns',
      });
      const pid = findProcess(l2tpns.proc.pid, 'l2tpns');
      if (pid === undefined) throw new Error('l2tpns PID not found');
      pin(pid, 1);
      targets.push({
        name,
        address,
        cpuMs: () => cpuMsOf(pid),
        stop: async () => {
          await lab.stop(l2tpns.proc);
          await lab.stop(l2tpns.radius);
        },
      });
    } else throw new Error(`unknown target ${name}`);
  }
  const socket = await lab.withNetns(
    nsLac,
    () =>
      new Promise<Socket>((resolve, reject) => {
        const s = createSocket('udp4');
        s.once('error', reject);
        s.bind(0, LAC, () => resolve(s));
      }),
  );
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const t of targets) {
        const c0 = await t.cpuMs();
        const f = await flood(socket, t.address, SECONDS);
        const lnsCpuMs = (await t.cpuMs()) - c0;
        rows.push({ target: t.name, flood: f, lnsCpuMs });
        process.stderr.write(
          `${t.name} run ${run}: ${f.acked} acknowledged in ${f.seconds.toFixed(1)} s = ${(f.acked / f.seconds).toFixed(0)}/s ` +
            `(window ${f.peerWindow}, per second ${f.perSecond.join(' ')}, ${f.retransmits} resent), ` +
            `LNS CPU ${((lnsCpuMs * 1000) / Math.max(1, f.acked)).toFixed(1)} µs/message\n`,
        );
      }
    }
  } finally {
    socket.close();
    for (const t of targets) await t.stop();
  }
} finally {
  lab.destroy();
}

const lines = [
  `control-rate: ${machineNote()}, load avg at start ${load0.toFixed(1)}`,
  `${RUNS} run(s) × ${SECONDS} s per target, one tunnel, HELLOs at window speed`,
  '',
  '| LNS | window | acknowledged messages/s, median (runs) | per second min / avg / max | resent | LNS CPU µs / message |',
  '|---|---|---|---|---|---|',
];
for (const name of TARGETS) {
  const rs = rows.filter((r) => r.target === name);
  if (rs.length === 0) continue;
  const rates = rs.map((r) => r.flood.acked / r.flood.seconds);
  const secs = rs.flatMap((r) => r.flood.perSecond);
  const avg = secs.reduce((a, b) => a + b, 0) / Math.max(1, secs.length);
  const cpu = rs.map((r) => (r.lnsCpuMs * 1000) / Math.max(1, r.flood.acked));
  lines.push(
    `| ${name} | ${rs[0]!.flood.peerWindow} | ${median(rates).toFixed(0)} (${rates.map((x) => x.toFixed(0)).join(' ')}) | ` +
      `${Math.min(...secs)} / ${avg.toFixed(0)} / ${Math.max(...secs)} | ${rs.reduce((a, r) => a + r.flood.retransmits, 0)} | ` +
      `${median(cpu).toFixed(1)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
