// tshark as a conformance oracle: capture a lab interface with tcpdump, dissect the pcap with
// Wireshark's L2TP/PPP dissectors, plus the RFC 2661 §4.1/§6 checks Wireshark does not make.
// Related: test/support/netns.ts, test/interop/*.test.ts.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LabProcess, type NetLab, tail, waitFor } from './netns.js';

/** A running tcpdump; `stop()` ends it with SIGINT so the pcap is complete. */
export interface Capture {
  readonly pcap: string;
  stop(): Promise<void>;
}

/** Starts tcpdump on `ifc` inside `ns` writing `<lab dir>/<name>.pcap`; resolves once it listens. */
export async function startCapture(
  lab: NetLab,
  ns: string,
  ifc: string,
  name: string,
  filter: readonly string[] = ['udp'],
): Promise<Capture> {
  const pcap = join(lab.dir, `${name}.pcap`);
  const proc: LabProcess = lab.spawn(`tcpdump-${name}`, ns, 'tcpdump', [
    '-i',
    ifc,
    '-s',
    '0',
    '-U',
    // Without it libpcap hands packets over in blocks on a ~1 s timeout: a capture stopped soon
    // after the traffic ends up empty, and polling the pcap lags.
    '--immediate-mode',
    '-n',
    '-w',
    pcap,
    ...filter,
  ]);
  await waitFor(
    `tcpdump on ${ns}/${ifc}`,
    () => {
      if (proc.exitCode !== undefined) throw new Error(`tcpdump exited: ${tail(proc.log)}`);
      return tail(proc.log).includes('listening on');
    },
    5000,
    () => tail(proc.log),
  );
  return { pcap, stop: () => lab.stop(proc, 'SIGINT', 3000) };
}

/** One packet as Wireshark sees it. */
export interface DissectedPacket {
  readonly number: number;
  /** Seconds since the first packet of the capture. */
  readonly time: number;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** undefined when Wireshark did not decode L2TP. */
  readonly l2tp?: {
    readonly control: boolean;
    readonly length: number | undefined;
    readonly tunnelId: number;
    readonly sessionId: number;
    /** Control messages only. */
    readonly ns: number | undefined;
    readonly nr: number | undefined;
    /** Message Type AVP value; undefined for a ZLB or when absent. */
    readonly messageType: number | undefined;
    /** AVP types in wire order (Message Type included). */
    readonly avpTypes: readonly number[];
    /** Hidden (H) bit per AVP, same order. */
    readonly avpHidden: readonly boolean[];
    /** Value of a clear Assigned Tunnel ID AVP (SCCRQ, SCCRP, StopCCN). */
    readonly assignedTunnelId: number | undefined;
  };
  /** ICMP inside the packet (e.g. carried in PPP inside L2TP data); ident/seq big-endian. */
  readonly icmp?: { readonly type: number; readonly ident: number; readonly seq: number };
  /** Wireshark's Protocol and Info columns ('PPP LCP Configuration Request'). */
  readonly info: string;
}

/** A packet Wireshark or the RFC checks flagged. */
export interface Flag {
  readonly packet: number;
  readonly text: string;
}

/** What the oracle found. */
export interface Dissection {
  readonly packets: readonly DissectedPacket[];
  /** `_ws.malformed` packets. */
  readonly malformed: readonly Flag[];
  /** Expert infos of severity warning or error. */
  readonly expertWarnings: readonly Flag[];
  /** RFC 2661 checks: Message Type first, required AVPs present, tunnel-level message with Session ID 0, known type. */
  readonly rfcChecks: readonly Flag[];
}

const MESSAGE_NAMES: Record<number, string> = {
  1: 'SCCRQ',
  2: 'SCCRP',
  3: 'SCCCN',
  4: 'StopCCN',
  6: 'HELLO',
  7: 'OCRQ',
  8: 'OCRP',
  9: 'OCCN',
  10: 'ICRQ',
  11: 'ICRP',
  12: 'ICCN',
  14: 'CDN',
  15: 'WEN',
  16: 'SLI',
};

// RFC 2661 §6: AVPs each message MUST carry besides Message Type. Written out here on purpose
// (not imported from src/l2tp/wire) so the oracle does not check the code against itself.
const REQUIRED: Record<number, readonly number[]> = {
  1: [2, 7, 3, 9], // SCCRQ: Protocol Version, Host Name, Framing Capabilities, Assigned Tunnel ID
  2: [2, 3, 7, 9], // SCCRP
  3: [], // SCCCN
  4: [9, 1], // StopCCN: Assigned Tunnel ID, Result Code
  6: [],
  7: [14, 15, 16, 17, 18, 19, 21], // OCRQ
  8: [14], // OCRP
  9: [24, 19], // OCCN: (Tx) Connect Speed, Framing Type
  10: [14, 15], // ICRQ: Assigned Session ID, Call Serial Number
  11: [14], // ICRP
  12: [24, 19], // ICCN: (Tx) Connect Speed, Framing Type
  14: [1, 14], // CDN: Result Code, Assigned Session ID
  15: [34], // WEN: Call Errors
  16: [35], // SLI: ACCM
};
const TUNNEL_LEVEL = new Set([1, 2, 3, 4, 6]);
const SEVERITY_WARNING = 6291456;

const FIELDS = [
  'frame.number',
  'frame.time_relative',
  'ip.src',
  'ip.dst',
  'udp.srcport',
  'udp.dstport',
  'l2tp.type',
  'l2tp.length',
  'l2tp.tunnel',
  'l2tp.session',
  'l2tp.Ns',
  'l2tp.Nr',
  'udp.payload',
  'l2tp.avp.message_type',
  'icmp.type',
  'icmp.ident',
  'icmp.seq',
  '_ws.malformed',
  '_ws.expert.message',
  '_ws.expert.severity',
  '_ws.col.Protocol',
  '_ws.col.Info',
];

/** True when tshark can be run. */
export function tsharkAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0;
}

/**
 * Dissects `pcap` with tshark (UDP `ports` decoded as L2TP besides 1701). `from`: only packets
 * with this IPv4 source are judged (e.g. the packets we sent); all are listed in `packets`.
 */
export async function dissect(
  pcap: string,
  opts: { from?: string; ports?: readonly number[] } = {},
): Promise<Dissection> {
  if (!existsSync(pcap)) throw new Error(`no pcap at ${pcap}`);
  const decode = (opts.ports ?? []).flatMap((p) => ['-d', `udp.port==${p},l2tp`]);
  // Asynchronous on purpose: a blocked event loop would delay the engines under test (their
  // timers fire late and datagrams wait unread), which shows up as spurious retransmissions.
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      'tshark',
      ['-n', '-r', pcap, ...decode, '-T', 'json', ...FIELDS.flatMap((f) => ['-e', f])],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 },
      (err, out, errOut) => (err ? reject(new Error(`tshark failed: ${err.message} ${errOut}`)) : resolve(out)),
    );
  });
  const docs = JSON.parse(stdout || '[]') as { _source: { layers: Record<string, string[]> } }[];
  const packets: DissectedPacket[] = [];
  const malformed: Flag[] = [];
  const expertWarnings: Flag[] = [];
  const rfcChecks: Flag[] = [];
  for (const doc of docs) {
    const l = doc._source.layers;
    const one = (f: string): string | undefined => l[f]?.[0];
    const num = (f: string): number | undefined => (one(f) === undefined ? undefined : Number(one(f)));
    const number = num('frame.number') ?? 0;
    const typeBit = one('l2tp.type');
    // tshark 4.0 emits no l2tp.avp.type for hidden AVPs: walk the AVP headers (§4.1) ourselves.
    const avps = typeBit === '1' ? walkAvps(one('udp.payload') ?? '') : { types: [], hidden: [] };
    const pkt: DissectedPacket = {
      number,
      time: Number(one('frame.time_relative') ?? 0),
      src: one('ip.src') ?? '',
      dst: one('ip.dst') ?? '',
      srcPort: num('udp.srcport') ?? 0,
      dstPort: num('udp.dstport') ?? 0,
      ...(typeBit === undefined
        ? {}
        : {
            l2tp: {
              control: typeBit === '1',
              length: num('l2tp.length'),
              tunnelId: num('l2tp.tunnel') ?? 0,
              sessionId: num('l2tp.session') ?? 0,
              ns: num('l2tp.Ns'),
              nr: num('l2tp.Nr'),
              messageType: num('l2tp.avp.message_type'),
              avpTypes: avps.types,
              avpHidden: avps.hidden,
              assignedTunnelId: avps.assignedTunnelId,
            },
          }),
      ...(one('icmp.type') === undefined
        ? {}
        : { icmp: { type: num('icmp.type')!, ident: num('icmp.ident') ?? -1, seq: num('icmp.seq') ?? -1 } }),
      info: `${one('_ws.col.Protocol') ?? ''} ${one('_ws.col.Info') ?? ''}`.trim(),
    };
    packets.push(pkt);
    if (opts.from !== undefined && pkt.src !== opts.from) continue;
    if (l['_ws.malformed'] !== undefined) {
      malformed.push({ packet: number, text: `${pkt.info}: ${(l['_ws.expert.message'] ?? []).join('; ')}` });
    }
    const messages = l['_ws.expert.message'] ?? [];
    const severities = (l['_ws.expert.severity'] ?? []).map(Number);
    severities.forEach((sev, i) => {
      if (sev >= SEVERITY_WARNING) expertWarnings.push({ packet: number, text: `${messages[i] ?? '?'} (${pkt.info})` });
    });
    const c = pkt.l2tp;
    if (c?.control && c.avpTypes.length > 0) {
      const name = c.messageType === undefined ? undefined : MESSAGE_NAMES[c.messageType];
      // RFC 2661 §4.1/§4.4.1: the Message Type AVP MUST be the first AVP.
      if (c.avpTypes[0] !== 0)
        rfcChecks.push({ packet: number, text: `first AVP is type ${c.avpTypes[0]}, not Message Type` });
      if (c.messageType === undefined) rfcChecks.push({ packet: number, text: 'control message without Message Type' });
      else if (name === undefined) rfcChecks.push({ packet: number, text: `unknown message type ${c.messageType}` });
      else {
        for (const t of REQUIRED[c.messageType] ?? []) {
          if (!c.avpTypes.includes(t))
            rfcChecks.push({ packet: number, text: `${name} lacks required AVP type ${t} (RFC 2661 §6)` });
        }
        if (TUNNEL_LEVEL.has(c.messageType) && c.sessionId !== 0) {
          rfcChecks.push({ packet: number, text: `${name} with Session ID ${c.sessionId} (must be 0)` });
        }
      }
    }
  }
  if (opts.from !== undefined) rfcChecks.push(...retransmittedAfterAck(packets, opts.from));
  return { packets, malformed, expertWarnings, rfcChecks };
}

/**
 * RFC 2661 §5.8: a control message is retransmitted only until it is acknowledged. Flags each
 * control message from `from` that repeats an Ns already sent in the same tunnel after the peer
 * acknowledged it (an Nr past that Ns) at least 100 ms earlier, so a retransmission crossing an
 * ack in flight is not flagged. Tunnels are told apart by UDP flow and our Tunnel ID (learnt from
 * the Assigned Tunnel ID AVPs of SCCRQ/SCCRP; the header carries the receiver's ID). Also flags a
 * ZLB whose Ns runs ahead of a message we send for the first time later (its Ns was taken by a
 * message still queued): l2tpns drops such a ZLB as out of sequence, losing its ack.
 */
function retransmittedAfterAck(packets: readonly DissectedPacket[], from: string): Flag[] {
  const flags: Flag[] = [];
  const flowOf = (p: DissectedPacket, ours: boolean): string =>
    ours ? `${p.src}:${p.srcPort}>${p.dst}:${p.dstPort}` : `${p.dst}:${p.dstPort}>${p.src}:${p.srcPort}`;
  // flow/peer tunnel id → our tunnel id
  const ourTidOf = new Map<string, number>();
  for (const p of packets) {
    const c = p.l2tp;
    if (!c?.control || c.assignedTunnelId === undefined) continue;
    if (p.src !== from && c.messageType === 2) ourTidOf.set(`${flowOf(p, false)}/${c.assignedTunnelId}`, c.tunnelId);
    if (p.src === from && c.messageType === 2) ourTidOf.set(`${flowOf(p, true)}/${c.tunnelId}`, c.assignedTunnelId);
  }
  const sent = new Map<string, number>(); // flow/our tid/ns → first send time
  const acks = new Map<string, { nr: number; time: number }[]>(); // flow/our tid → peer acks in order
  const zlbs: { tunnel: string; ns: number; packet: number }[] = [];
  for (const p of packets) {
    const c = p.l2tp;
    if (!c?.control || c.ns === undefined || c.nr === undefined) continue;
    if (p.src !== from) {
      if (c.tunnelId === 0) continue;
      const key = `${flowOf(p, false)}/${c.tunnelId}`;
      const list = acks.get(key) ?? [];
      list.push({ nr: c.nr, time: p.time });
      acks.set(key, list);
      continue;
    }
    const flow = flowOf(p, true);
    const ourTid =
      c.tunnelId === 0 ? c.assignedTunnelId : (ourTidOf.get(`${flow}/${c.tunnelId}`) ?? c.assignedTunnelId);
    if (ourTid === undefined) continue;
    if (c.messageType === undefined) {
      // A ZLB consumes no Ns: its Ns is the next Ns we will send (§5.8, Appendix B.2).
      zlbs.push({ tunnel: `${flow}/${ourTid}`, ns: c.ns, packet: p.number });
      continue;
    }
    const key = `${flow}/${ourTid}/${c.ns}`;
    const first = sent.get(key);
    if (first === undefined) {
      sent.set(key, p.time);
      const ns = c.ns;
      for (const z of zlbs) {
        if (z.tunnel !== `${flow}/${ourTid}`) continue;
        const ahead = (z.ns - ns) & 0xffff;
        if (ahead >= 1 && ahead < 0x8000) {
          flags.push({
            packet: z.packet,
            text: `ZLB with Ns=${z.ns} sent before our message Ns=${ns} (#${p.number}): a ZLB carries the next Ns to be sent (RFC 2661 §5.8)`,
          });
        }
      }
      continue;
    }
    const ns = c.ns;
    const ack = (acks.get(`${flow}/${ourTid}`) ?? []).find(
      (a) =>
        a.time >= first && a.time <= p.time - 0.1 && ((a.nr - ns) & 0xffff) >= 1 && ((a.nr - ns) & 0xffff) < 0x8000,
    );
    if (ack !== undefined) {
      flags.push({
        packet: p.number,
        text: `retransmitted Ns=${ns} ${(p.time - ack.time).toFixed(3)} s after the peer acknowledged it (RFC 2661 §5.8)`,
      });
    }
  }
  return flags;
}

/** AVP types and H bits of an L2TP control message given as hex (RFC 2661 §3.1 header, §4.1 AVPs). */
function walkAvps(hex: string): { types: number[]; hidden: boolean[]; assignedTunnelId?: number } {
  const b = Buffer.from(hex.replace(/:/g, ''), 'hex');
  const types: number[] = [];
  const hidden: boolean[] = [];
  let assignedTunnelId: number | undefined;
  if (b.length < 12) return { types, hidden };
  const flags = b.readUInt16BE(0);
  let at = 12 + (flags & 0x0200 ? 2 + (b.length >= 14 ? b.readUInt16BE(12) : 0) : 0);
  const end = flags & 0x4000 ? Math.min(b.length, b.readUInt16BE(2)) : b.length;
  while (at + 6 <= end) {
    const word = b.readUInt16BE(at);
    const len = word & 0x03ff;
    if (len < 6) break;
    const type = b.readUInt16BE(at + 4);
    types.push(type);
    hidden.push((word & 0x4000) !== 0);
    if (type === 9 && len === 8 && (word & 0x4000) === 0 && b.readUInt16BE(at + 2) === 0) {
      assignedTunnelId = b.readUInt16BE(at + 6);
    }
    at += len;
  }
  return { types, hidden, ...(assignedTunnelId === undefined ? {} : { assignedTunnelId }) };
}

/** All flags of a dissection as text lines ('' when clean): for assertion messages. */
export function formatFlags(d: Dissection): string {
  return [
    ...d.malformed.map((f) => `#${f.packet} MALFORMED ${f.text}`),
    ...d.expertWarnings.map((f) => `#${f.packet} EXPERT ${f.text}`),
    ...d.rfcChecks.map((f) => `#${f.packet} RFC ${f.text}`),
  ].join('\n');
}

/** The control messages of a dissection as one line each ('10.203.1.2 SCCRQ tid=0 sid=0 ns=0 nr=0'), for failure messages and ordering asserts. */
/** RFC 2661 §3.2 message type names by number. */
export const MESSAGE_TYPE_NAMES: Readonly<Record<number, string>> = MESSAGE_NAMES;

/** Name of a control packet's message ('ZLB' when it has no AVPs), undefined for data. */
export function messageName(p: DissectedPacket): string | undefined {
  const c = p.l2tp;
  if (!c?.control) return undefined;
  return c.messageType === undefined ? 'ZLB' : (MESSAGE_NAMES[c.messageType] ?? `type${c.messageType}`);
}

export function timeline(d: Dissection): string[] {
  return d.packets
    .filter((p) => p.l2tp?.control)
    .map((p) => {
      const c = p.l2tp!;
      const name = c.messageType === undefined ? 'ZLB' : (MESSAGE_NAMES[c.messageType] ?? `type${c.messageType}`);
      return `${p.src} ${name} tid=${c.tunnelId} sid=${c.sessionId} ns=${c.ns} nr=${c.nr}`;
    });
}

/**
 * Writes UDP payloads as an Ethernet/IPv4/UDP pcap (for oracle self-tests and for replaying
 * vectors through tshark). Checksums are left zero (UDP: none; tshark does not verify IPv4 by default).
 */
export function writeUdpPcap(
  file: string,
  datagrams: readonly { src: string; dst: string; srcPort: number; dstPort: number; payload: Uint8Array }[],
): void {
  const parts: Uint8Array[] = [];
  const global = new DataView(new ArrayBuffer(24));
  global.setUint32(0, 0xa1b2c3d4, true);
  global.setUint16(4, 2, true);
  global.setUint16(6, 4, true);
  global.setUint32(16, 65535, true);
  global.setUint32(20, 1, true); // LINKTYPE_ETHERNET
  parts.push(new Uint8Array(global.buffer));
  datagrams.forEach((d, i) => {
    const len = 14 + 20 + 8 + d.payload.length;
    const rec = new Uint8Array(16 + len);
    const dv = new DataView(rec.buffer);
    dv.setUint32(0, 1_700_000_000 + i, true);
    dv.setUint32(8, len, true);
    dv.setUint32(12, len, true);
    rec.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 16);
    const ip = 30;
    rec[ip] = 0x45;
    dv.setUint16(ip + 2, 20 + 8 + d.payload.length);
    rec[ip + 8] = 64;
    rec[ip + 9] = 17;
    rec.set(d.src.split('.').map(Number), ip + 12);
    rec.set(d.dst.split('.').map(Number), ip + 16);
    const udp = ip + 20;
    dv.setUint16(udp, d.srcPort);
    dv.setUint16(udp + 2, d.dstPort);
    dv.setUint16(udp + 4, 8 + d.payload.length);
    rec.set(d.payload, udp + 8);
    parts.push(rec);
  });
  writeFileSync(file, Buffer.concat(parts));
}
