// Runs one fuzz case against a target as the LAC side of one tunnel, and judges every reply: the
// oracles of RFC 2661 §3.1 (discard), §4.1 (M bit), §4.4.2 (Result/Error codes), §5.8 (Nr, duplicate
// SCCRQ), then liveness (a fresh clean setup still works) and the target's own health.
// Related: build-datagram.ts (step → bytes), fuzz-case.ts (the value types), target.ts.
import { toHex } from '../core/bytes.js';
import type { Random } from '../core/random.js';
import { serialDiff } from '../core/serial.js';
import { scanU16 } from '../l2tp/avp-scan.js';
import { AVPS, AvpType } from '../l2tp/wire/avp-catalogue.js';
import { formatControlMessage } from '../l2tp/wire/format.js';
import { L2tpHeaderView } from '../l2tp/wire/header.js';
import { avpBytes, avpU16, type ControlMessage, decodeControlMessage, resultCodeOf } from '../l2tp/wire/message.js';
import { MessageType } from '../l2tp/wire/message-catalogue.js';
import { type BuildContext, buildDataMessage, buildMessage, cleanMessage } from './build-datagram.js';
import {
  CANONICAL,
  type Finding,
  type FindingKind,
  type FuzzCase,
  type FuzzStep,
  type MessageStepKind,
  type Mutation,
  mutationsOf,
  type WireRecord,
} from './fuzz-case.js';
import type { FuzzConnection, FuzzTarget } from './target.js';

/** Options of a run. */
export interface RunOptions {
  /** The tunnel secret the target expects (Challenge Response, hidden AVPs). */
  readonly secret?: Uint8Array;
  /** Supplies Tunnel/Session IDs and Random Vectors; seeded, so runs replay. */
  readonly random: Random;
  /** Skip the liveness check (and the leak check) after the case. */
  readonly skipLiveness?: boolean;
  /**
   * Liveness needs the session to survive its ICCN (default). 'icrp' accepts a CDN after the ICCN:
   * a real LNS whose PPP cannot start (xl2tpd without kernel PPP) hangs up every call there.
   */
  readonly livenessThrough?: 'icrp' | 'iccn';
}

/** The outcome of one case: the first finding, if any, and every datagram exchanged. */
export interface RunResult {
  readonly finding?: Finding;
  readonly wire: readonly WireRecord[];
}

class Stop extends Error {
  constructor(readonly finding: Finding) {
    super(finding.message);
  }
}

/** Mutations that may make the target discard the message (so its Ns may not be consumed). */
const DESTRUCTIVE = new Set<Mutation['op']>(['truncate', 'flip', 'version', 'avp-length', 'ns', 'nr', 'tunnel-id']);
const MAX_REPLIES_PER_STEP = 64;

/** What a step in "clean position" must cause (§4.1): teardown for an unknown M=1 AVP, else normal progress. */
type Expectation = 'teardown' | 'proceeds' | undefined;

/** One tunnel's conversation: our side's IDs and sequence state, and what the oracles need to remember. */
class Conversation {
  private readonly view = new L2tpHeaderView();
  readonly ourTunnelId: number;
  readonly ourSessionId: number;
  peerTunnelId = 0;
  peerSessionId = 0;
  ns = 0;
  nr = 0;
  challenge: Uint8Array | undefined;
  private readonly sentNs = new Set<number>();
  /** Ns of control-looking datagrams with Ver != 2: §3.1 says discard, so acking one is a garbage reply. */
  private readonly discardedNs = new Set<number>();
  private readonly assignedTids = new Set<number>();
  private readonly sccrqVariants = new Set<string>();
  private firstSccrpTid: number | undefined;
  private stopSeen = false;
  /** We sent a tunnel-0 message whose Assigned Tunnel ID the target may read differently (hidden, flipped). */
  private tidUnknowable = false;
  private readonly history: Uint8Array[] = [];
  readonly wire: WireRecord[] = [];

  constructor(
    private readonly conn: FuzzConnection,
    private readonly target: FuzzTarget,
    private readonly opts: RunOptions,
  ) {
    this.ourTunnelId = opts.random.int(1, 0xffff);
    this.ourSessionId = opts.random.int(1, 0xffff);
  }

  private ctx(): BuildContext {
    return {
      ourTunnelId: this.ourTunnelId,
      peerTunnelId: this.peerTunnelId,
      ourSessionId: this.ourSessionId,
      peerSessionId: this.peerSessionId,
      ns: this.ns,
      nr: this.nr,
      ...(this.challenge !== undefined ? { challenge: this.challenge } : {}),
      ...(this.opts.secret !== undefined ? { secret: this.opts.secret } : {}),
      random: this.opts.random,
    };
  }

  /** Sends step `i` of `steps`, collects the replies and applies every oracle; throws Stop on a finding. */
  async step(steps: readonly FuzzStep[], i: number): Promise<ControlMessage[]> {
    const s = steps[i]!;
    let bytes: Uint8Array | undefined;
    let usedNs: number | undefined;
    switch (s.kind) {
      case 'repeat':
        bytes = this.history[this.history.length - 1];
        break;
      case 'data':
        bytes = buildDataMessage(
          s.tunnelId ?? this.peerTunnelId,
          s.sessionId < 0 ? this.peerSessionId : s.sessionId,
          fromHexLoose(s.payloadHex),
        );
        break;
      case 'garbage':
        bytes = fromHexLoose(s.hex);
        break;
      default: {
        // §5.8: an SCCRQ is the first message of a tunnel: Ns 0, Nr 0.
        if (s.kind === 'SCCRQ') {
          const saved = [this.ns, this.nr];
          this.ns = 0;
          this.nr = 0;
          bytes = buildMessage(s.kind, mutationsOf(s), this.ctx());
          [this.ns, this.nr] = saved as [number, number];
          usedNs = 0;
        } else {
          bytes = buildMessage(s.kind, mutationsOf(s), this.ctx());
          usedNs = this.ns;
        }
      }
    }
    if (bytes === undefined) return [];
    const mustDrop = this.mustDrop(s, bytes);
    this.noteSent(bytes, i);
    const nrBefore = this.nr;
    await this.conn.send(bytes);
    const replies = await this.collect(i);
    const health = await this.target.health?.(false);
    if (health !== undefined) throw new Stop({ kind: 'crash', step: i, message: health });
    let maxAck: number | undefined;
    const messages: ControlMessage[] = [];
    for (const r of replies) {
      const m = this.judgeReply(r, i, { mustDrop, nrBefore });
      if (m === undefined) continue;
      if (m.msg !== undefined) messages.push(m.msg);
      if (maxAck === undefined || serialDiff(m.nr, maxAck) > 0) maxAck = m.nr;
    }
    if (usedNs !== undefined) {
      const acked = maxAck !== undefined && serialDiff(maxAck, usedNs) > 0;
      const destructive = mutationsOf(s).some((m) => DESTRUCTIVE.has(m.op));
      if (acked || !destructive) this.ns = Math.max(this.ns, (usedNs + 1) & 0xffff);
    }
    this.checkExpectation(steps, i, messages);
    return messages;
  }

  /** §3.1 and common sense: datagrams no RFC 2661 endpoint may answer. */
  private mustDrop(s: FuzzStep, bytes: Uint8Array): boolean {
    if (s.kind === 'data') {
      if (s.sessionId < 0 && s.tunnelId === undefined) return false; // PPP on the live session: may be answered
      return s.sessionId !== this.peerSessionId || this.peerSessionId === 0;
    }
    // Judged by the octets sent, not by the mutations applied: a later mutation can undo an
    // earlier one (seed 11 case 65826: 'version 3' then a flip of the same bit sent a valid ICRQ,
    // whose StopCCN the oracle took for an answer to a discarded datagram).
    const err = this.view.wrap(bytes);
    return err === 'truncated' || err === 'bad-version';
  }

  private secretOpt(): { secret: Uint8Array } | undefined {
    return this.opts.secret === undefined ? undefined : { secret: this.opts.secret };
  }

  private noteSent(bytes: Uint8Array, i: number): void {
    this.history.push(bytes);
    const v = this.view;
    let summary = `${bytes.length} octets`;
    if (v.wrap(bytes) === undefined && v.isControl) {
      this.sentNs.add(v.ns);
      if (v.tunnelId === 0) {
        // Any tunnel-0 message may be taken for an SCCRQ: note the Assigned Tunnel ID it offers, if readable.
        const tid = scanU16(v.body, AvpType.AssignedTunnelId);
        if (tid !== undefined) this.assignedTids.add(tid);
        else this.tidUnknowable = true;
      }
      const d = decodeControlMessage(v.body, this.secretOpt());
      if (d.ok) {
        summary = formatControlMessage(d.value, v);
        if (d.value.type === MessageType.StopCCN) this.stopSeen = true;
        if (d.value.type === MessageType.SCCRQ && v.tunnelId === 0) {
          this.sccrqVariants.add(toHex(bytes));
          const tid = avpU16(d.value, AvpType.AssignedTunnelId);
          if (tid !== undefined) this.assignedTids.add(tid);
          else this.tidUnknowable = true;
        }
      } else {
        summary = `control tid=${v.tunnelId} sid=${v.sessionId} ns=${v.ns} nr=${v.nr} (${d.fault.code})`;
      }
    } else if (v.wrap(bytes) === 'bad-version' && bytes.length >= 12 && (bytes[0]! & 0xc8) === 0xc8) {
      this.discardedNs.add((bytes[8]! << 8) | bytes[9]!);
    } else if (v.wrap(bytes) === undefined) {
      summary = `data tid=${v.tunnelId} sid=${v.sessionId} ${bytes.length} octets`;
    }
    this.wire.push({ dir: 'sent', step: i, hex: toHex(bytes), summary });
  }

  private async collect(i: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    while (out.length < MAX_REPLIES_PER_STEP) {
      const r = await this.conn.receive(this.target.quietMs);
      if (r === undefined) break;
      out.push(r);
    }
    for (const r of out) this.wire.push({ dir: 'received', step: i, hex: toHex(r), summary: this.summarize(r) });
    return out;
  }

  private summarize(r: Uint8Array): string {
    const v = this.view;
    const err = v.wrap(r);
    if (err !== undefined) return `unparsable (${err})`;
    if (!v.isControl) return `data tid=${v.tunnelId} sid=${v.sessionId} ${r.length} octets`;
    if (v.body.length === 0) return `ZLB tid=${v.tunnelId} ns=${v.ns} nr=${v.nr}`;
    const d = decodeControlMessage(v.body, this.secretOpt());
    return d.ok ? formatControlMessage(d.value, v) : `control (${d.fault.code})`;
  }

  /** The per-reply oracles; updates Nr and the peer's IDs. Returns the decoded message and its Nr. */
  private judgeReply(
    r: Uint8Array,
    i: number,
    c: { mustDrop: boolean; nrBefore: number },
  ): { msg?: ControlMessage; nr: number } | undefined {
    const v = this.view;
    const err = v.wrap(r);
    if (err !== undefined) throw new Stop({ kind: 'reply-malformed', step: i, message: `reply is not L2TPv2: ${err}` });
    if (!v.isControl) return undefined; // PPP on a session: not judged here
    const { tunnelId, ns, nr } = v;
    const body = v.body;
    let msg: ControlMessage | undefined;
    if (body.length > 0) {
      const d = decodeControlMessage(body, this.secretOpt());
      if (!d.ok) {
        throw new Stop({
          kind: 'reply-malformed',
          step: i,
          message: `reply does not decode: ${d.fault.code}${d.fault.avpType !== undefined ? ` (AVP ${d.fault.avpType})` : ''}`,
        });
      }
      msg = d.value;
    }
    // §3.1: a discarded datagram gets no answer; only retransmissions (Ns below what we expected) may arrive.
    if (msg !== undefined && c.mustDrop && serialDiff(ns, c.nrBefore) >= 0) {
      throw new Stop({
        kind: 'garbage-reply',
        step: i,
        message: `answered a datagram RFC 2661 §3.1 says to discard with ${formatControlMessage(msg, v)}`,
      });
    }
    const isStop = msg?.type === MessageType.StopCCN;
    if (!this.tidUnknowable && !this.assignedTids.has(tunnelId) && !(tunnelId === 0 && isStop)) {
      throw new Stop({
        kind: 'reply-tunnel-id',
        step: i,
        message: `reply to Tunnel ID ${tunnelId}, which we never assigned (${[...this.assignedTids].join(',')})`,
      });
    }
    this.checkNr(nr, isStop, i, msg);
    if (msg === undefined) return { nr };
    if (ns === this.nr) this.nr = (this.nr + 1) & 0xffff;
    if (msg.type === MessageType.StopCCN) this.stopSeen = true;
    if (msg.type === MessageType.SCCRP) {
      const tid = avpU16(msg, AvpType.AssignedTunnelId);
      if (tid !== undefined) {
        if (this.firstSccrpTid === undefined) this.firstSccrpTid = tid;
        else if (tid !== this.firstSccrpTid && !this.stopSeen && this.sccrqVariants.size === 1) {
          throw new Stop({
            kind: 'second-tunnel',
            step: i,
            message: `a retransmitted SCCRQ got a second tunnel: Assigned Tunnel ID ${tid} after ${this.firstSccrpTid} (RFC 2661 §5.8)`,
          });
        }
        if (tid === this.firstSccrpTid) this.peerTunnelId = tid;
      }
      this.challenge = avpBytes(msg, AvpType.Challenge);
    }
    if (msg.type === MessageType.ICRP) {
      const sid = avpU16(msg, AvpType.AssignedSessionId);
      if (sid !== undefined && this.peerSessionId === 0) this.peerSessionId = sid;
    }
    return { msg, nr };
  }

  /** §5.8: Nr acknowledges only messages we sent, in order (a one-shot StopCCN may ack the one it answers). */
  private checkNr(nr: number, isStop: boolean, i: number, msg: ControlMessage | undefined): void {
    if (nr === 0) return;
    if (isStop && this.sentNs.has((nr - 1) & 0xffff)) return;
    for (let k = 0; k < nr; k++) {
      if (!this.sentNs.has(k) && this.discardedNs.has(k)) {
        throw new Stop({
          kind: 'garbage-reply',
          step: i,
          message: `${msg === undefined ? 'ZLB' : formatControlMessage(msg)} has Nr ${nr}: it acknowledged Ns ${k}, sent only with a Ver field other than 2 (RFC 2661 §3.1: MUST be discarded)`,
        });
      }
      if (!this.sentNs.has(k)) {
        throw new Stop({
          kind: 'nr-ack',
          step: i,
          message: `${msg === undefined ? 'ZLB' : formatControlMessage(msg)} has Nr ${nr}, but we never sent Ns ${k} (RFC 2661 §5.8)`,
        });
      }
    }
  }

  /** §4.1 at a clean position: an unknown M=1 AVP tears down (Result 2, Error 8); M=0 ones are ignored. */
  private checkExpectation(steps: readonly FuzzStep[], i: number, replies: readonly ControlMessage[]): void {
    const s = steps[i]!;
    const e = expectationAt(steps, i, this.opts.secret !== undefined);
    if (e === undefined || s.kind === 'repeat' || s.kind === 'data' || s.kind === 'garbage') return;
    const ends = replies.filter((m) => m.type === MessageType.StopCCN || m.type === MessageType.CDN);
    if (e === 'teardown') {
      if (ends.length === 0 && s.kind !== 'SCCRQ') {
        throw new Stop({
          kind: 'teardown-result',
          step: i,
          message: `${s.kind} with an unknown M=1 AVP was not answered with StopCCN or CDN (RFC 2661 §4.1)`,
        });
      }
      for (const m of ends) {
        const rc = resultCodeOf(m);
        if (rc?.resultCode !== 2 || rc.errorCode !== 8) {
          throw new Stop({
            kind: 'teardown-result',
            step: i,
            message: `${formatControlMessage(m)} for an unknown M=1 AVP; RFC 2661 §4.4.2 wants Result Code 2, Error Code 8`,
          });
        }
      }
      return;
    }
    if (ends.length > 0) {
      throw new Stop({
        kind: 'not-ignored',
        step: i,
        message: `${s.kind} with only ignorable changes (unknown M=0 AVPs, AVPs hidden with the right secret) was answered with ${formatControlMessage(ends[0]!)} (RFC 2661 §4.1, §4.3)`,
      });
    }
    const wanted = s.kind === 'SCCRQ' ? MessageType.SCCRP : s.kind === 'ICRQ' ? MessageType.ICRP : undefined;
    if (wanted !== undefined && !replies.some((m) => m.type === wanted)) {
      throw new Stop({
        kind: 'not-ignored',
        step: i,
        message: `${s.kind} with only ignorable changes (unknown M=0 AVPs, AVPs hidden with the right secret) got no ${wanted === MessageType.SCCRP ? 'SCCRP' : 'ICRP'} (RFC 2661 §4.1)`,
      });
    }
  }

  /** Ends the tunnel politely (StopCCN) so the target can free it. */
  async teardown(): Promise<void> {
    if (this.peerTunnelId === 0 || this.stopSeen) return;
    const bytes = buildMessage('StopCCN', [], this.ctx());
    this.history.push(bytes);
    this.wire.push({ dir: 'sent', step: -1, hex: toHex(bytes), summary: 'StopCCN (teardown)' });
    await this.conn.send(bytes);
    await this.collect(-1);
  }
}

/** Whether step `i` sits right after a clean canonical prefix and carries only §4.1-ignorable or fatal AVPs. */
export function expectationAt(steps: readonly FuzzStep[], i: number, haveSecret: boolean): Expectation {
  for (let k = 0; k < i; k++) {
    const s = steps[k]!;
    if (s.kind !== CANONICAL[k] || mutationsOf(s).length > 0) return undefined;
  }
  const s = steps[i]!;
  if (s.kind !== CANONICAL[i] || s.kind === 'CDN' || s.kind === 'StopCCN' || s.kind === 'HELLO') return undefined;
  const ms = mutationsOf(s);
  if (ms.length === 0) return undefined;
  const cleanAvps = cleanMessage(s.kind as MessageStepKind, {
    ourTunnelId: 1,
    peerTunnelId: 1,
    ourSessionId: 1,
    peerSessionId: 1,
    ns: 0,
    nr: 0,
    random: { fill: (b) => b, int: (a) => a },
    ...(haveSecret ? { secret: new Uint8Array(1), challenge: new Uint8Array(1) } : {}),
  }).msg.avps;
  let length = cleanAvps.length;
  let fatal = false;
  for (const m of ms) {
    if (m.op === 'unknown-avp') {
      length++;
      if (m.mandatory) fatal = true;
    } else if (m.op === 'hide-avp' && !m.wrongSecret && haveSecret && length > 0) {
      const a = cleanAvps[m.index % length];
      if (a === undefined || AVPS.get(a.type)?.mayHide !== true) return undefined;
    } else return undefined;
  }
  return fatal ? 'teardown' : 'proceeds';
}

/** Runs `c` on a fresh connection, then (unless skipped) the liveness and health checks. */
export async function runCase(target: FuzzTarget, c: FuzzCase, opts: RunOptions): Promise<RunResult> {
  const conn = await target.connect();
  const conv = new Conversation(conn, target, opts);
  try {
    for (let i = 0; i < c.steps.length; i++) await conv.step(c.steps, i);
    await conv.teardown();
  } catch (e) {
    if (e instanceof Stop) return { finding: e.finding, wire: conv.wire };
    return { finding: { kind: 'crash', step: -1, message: `driver error: ${String(e)}` }, wire: conv.wire };
  } finally {
    await conn.close();
  }
  if (opts.skipLiveness) return { wire: conv.wire };
  const liveWire: WireRecord[] = [];
  const live = await checkLiveness(target, opts, liveWire);
  if (live !== undefined) {
    // The liveness run's datagrams too, marked step -2: they show what the target stopped doing.
    return {
      finding: live,
      wire: [...conv.wire, ...liveWire.map((w) => ({ ...w, step: -2, summary: `liveness: ${w.summary}` }))],
    };
  }
  const health = await target.health?.(true);
  if (health !== undefined) {
    const kind: FindingKind = health.startsWith('leak') ? 'leak' : 'crash';
    return { finding: { kind, step: -1, message: health }, wire: conv.wire };
  }
  return { wire: conv.wire };
}

/** A clean tunnel + session setup and teardown must still work (the liveness oracle). */
export async function checkLiveness(
  target: FuzzTarget,
  opts: RunOptions,
  wire?: WireRecord[],
): Promise<Finding | undefined> {
  const conn = await target.connect();
  const conv = new Conversation(conn, target, opts);
  try {
    return await liveness(conv, opts);
  } finally {
    wire?.push(...conv.wire);
    await conn.close();
  }
}

async function liveness(conv: Conversation, opts: RunOptions): Promise<Finding | undefined> {
  const steps: FuzzStep[] = [{ kind: 'SCCRQ' }, { kind: 'SCCCN' }, { kind: 'ICRQ' }, { kind: 'ICCN' }];
  const fail = (message: string): Finding => ({ kind: 'liveness', step: -1, message });
  try {
    const sccrp = await conv.step(steps, 0);
    if (!sccrp.some((m) => m.type === MessageType.SCCRP)) return fail('a fresh SCCRQ got no SCCRP');
    await conv.step(steps, 1);
    const icrp = await conv.step(steps, 2);
    if (!icrp.some((m) => m.type === MessageType.ICRP)) return fail('a fresh ICRQ got no ICRP');
    const iccn = await conv.step(steps, 3);
    const end = iccn.find((m) => m.type === MessageType.StopCCN || m.type === MessageType.CDN);
    if (end !== undefined && (opts.livenessThrough ?? 'iccn') === 'iccn') {
      return fail(`a fresh session was torn down: ${formatControlMessage(end)}`);
    }
    await conv.step([...steps, { kind: 'CDN' }], 4);
    await conv.teardown();
    return undefined;
  } catch (e) {
    if (e instanceof Stop) return { ...e.finding, step: -1, message: `liveness run: ${e.finding.message}` };
    return fail(`driver error: ${String(e)}`);
  }
}

function fromHexLoose(hex: string): Uint8Array {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
