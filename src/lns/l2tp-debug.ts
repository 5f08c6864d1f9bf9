// xl2tpd's `debug avp|packet|network|tunnel|state` for the LNS, as 'l2tp-debug' log events in the
// style of the PPP dumps. What xl2tpd prints (1.3.x, gconfig.debug_*), and ours:
//   avp      xl2tpd: one line per AVP parsed (avp.c).      Ours: each control message sent and
//            received as one dump, `rcvd [L2TP SCCRQ tid=0 … <HostName "lac1"> …] from 10.0.0.2:1701`.
//   packet   xl2tpd: HEX/ASCII dump of every datagram (misc.c do_packet_dump). Ours: the hex of
//            every control datagram (data messages: `lns --pcap`), secret-derived values masked.
//   network  xl2tpd: "recv packet from A, size = N, tunnel = T, call = C" (network.c). Ours: one
//            line per datagram either way, data messages included (a flood of lines: debug only).
//   tunnel   xl2tpd: tunnel and call allocation and teardown (control.c, network.c). Ours: tunnel
//            and call created/freed from the automata, calls cleared with their result, refused SCCRQs.
//   state    xl2tpd: "message type is SCCRQ(1). Tunnel is T, call is C" (control.c). Ours: every
//            step of the tunnel and session tables, `tunnel 5: idle -rx-sccrq-> wait-ctl-conn`.
// Formatting happens only for a key that is on; with none on, the LNS holds no L2tpDebug at all.
// The texts are made of ../l2tp/describe.ts output, numbers and table names: peer text arrives
// escaped (`\xNN`), so a line needs no further escaping; the CLI still bounds it.
// Related: lns.ts (the hooks), ../l2tp/describe.ts, ../cli/lns.ts (printing), docs/CONFIG.md.
import type { PeerAddress } from '../core/engine.js';
import { formatHostPort } from '../core/peer-address.js';
import { datagramSummary, describeControlDatagram, hexDump } from '../l2tp/describe.js';
import type { Endpoint, L2tpEvent } from '../l2tp/endpoint.js';
import type { TransitionRecord } from '../l2tp/types.js';
import { quotedText } from '../l2tp/wire/format.js';

/** xl2tpd.conf [global] `debug avp/network/packet/tunnel/state`, all off by default. */
export interface L2tpDebugFlags {
  readonly avp?: boolean;
  readonly network?: boolean;
  readonly packet?: boolean;
  readonly tunnel?: boolean;
  readonly state?: boolean;
}

/** Which xl2tpd key produced a debug line. */
export type L2tpDebugKind = 'avp' | 'network' | 'packet' | 'tunnel' | 'state';

/** One debug line (LnsEvent 'l2tp-debug'). */
export interface L2tpDebugEvent {
  readonly type: 'l2tp-debug';
  readonly kind: L2tpDebugKind;
  readonly text: string;
}

const encoder = new TextEncoder();

/** True when any key is on: the LNS builds an L2tpDebug only then. */
export function anyL2tpDebug(f: L2tpDebugFlags | undefined): boolean {
  return f !== undefined && (f.avp || f.network || f.packet || f.tunnel || f.state) === true;
}

/** Turns the LNS's datagrams, automaton steps and L2TP events into debug lines. */
export class L2tpDebug {
  private readonly avp: boolean;
  private readonly network: boolean;
  private readonly packet: boolean;
  private readonly tunnel: boolean;
  private readonly state: boolean;

  constructor(
    flags: L2tpDebugFlags,
    private readonly emit: (e: L2tpDebugEvent) => void,
    /** The endpoint, for ids and peers in lifecycle lines (read when a step happens). */
    private readonly endpoint: () => Endpoint,
  ) {
    this.avp = flags.avp === true;
    this.network = flags.network === true;
    this.packet = flags.packet === true;
    this.tunnel = flags.tunnel === true;
    this.state = flags.state === true;
  }

  /** Observes automaton steps only when a line can come of them. */
  get observesSteps(): boolean {
    return this.tunnel || this.state;
  }

  /** A datagram received (control or data). */
  received(bytes: Uint8Array, from: PeerAddress): void {
    this.datagram('rcvd', 'from', bytes, from);
  }

  /** A datagram sent (control or data). */
  sent(bytes: Uint8Array, to: PeerAddress): void {
    this.datagram('sent', 'to', bytes, to);
  }

  /** One step of a tunnel or session automaton (Endpoint onTransition). */
  transition(machine: 'tunnel' | 'session', tunnelId: number, sessionId: number, r: TransitionRecord): void {
    const who = machine === 'tunnel' ? `tunnel ${tunnelId}` : `session ${tunnelId}/${sessionId}`;
    if (this.state) {
      this.line(
        'state',
        r.ignored ? `${who}: ${r.event} ignored in ${r.from}` : `${who}: ${r.from} -${r.event}-> ${r.to}`,
      );
    }
    if (!this.tunnel || r.ignored || r.from === r.to) return;
    if (r.to === 'closed') {
      this.line('tunnel', machine === 'tunnel' ? `tunnel ${tunnelId} freed` : `call ${tunnelId}/${sessionId} freed`);
      return;
    }
    if (r.from !== 'idle') return;
    const t = this.endpoint().tunnel(tunnelId);
    if (t === undefined) return;
    if (machine === 'tunnel') {
      this.line('tunnel', `tunnel ${tunnelId} created for ${addr(t.peer)} (peer tunnel ${t.peerTunnelId})`);
      return;
    }
    const s = t.sessions.get(sessionId);
    if (s === undefined) return;
    this.line(
      'tunnel',
      `call ${tunnelId}/${sessionId} created (peer call ${s.peerSessionId}, serial ${s.callSerialNumber})`,
    );
  }

  /** L2TP events the always-on lines do not cover: calls cleared in any state, refused SCCRQs. */
  l2tpEvent(e: L2tpEvent): void {
    if (!this.tunnel) return;
    switch (e.type) {
      case 'session-down': {
        const result = `${e.resultCode}${e.errorCode !== undefined ? `/${e.errorCode}` : ''}`;
        const message = e.message === undefined ? '' : ` ${quotedText(encoder.encode(e.message))}`;
        this.line('tunnel', `call ${e.tunnelId}/${e.sessionId} cleared (${e.initiator}): result ${result}${message}`);
        return;
      }
      case 'tunnel-down':
        this.line('tunnel', `tunnel ${e.tunnelId} closing (${e.initiator}): ${e.reason}`);
        return;
      case 'datagram-dropped':
        if (e.reason.startsWith('sccrq-')) this.line('tunnel', `SCCRQ from ${addr(e.peer)} refused: ${e.reason}`);
        return;
      default:
        return;
    }
  }

  private datagram(dir: 'rcvd' | 'sent', prep: 'from' | 'to', bytes: Uint8Array, peer: PeerAddress): void {
    if (this.network) {
      this.line('network', `${dir} ${bytes.length} octets ${prep} ${addr(peer)}: ${datagramSummary(bytes)}`);
    }
    // Only control messages (T bit) are dumped: data messages carry the users' traffic.
    if (bytes.length === 0 || (bytes[0]! & 0x80) === 0) return;
    if (this.avp) {
      const text = describeControlDatagram(bytes);
      if (text !== undefined) this.line('avp', `${dir} ${text} ${prep} ${addr(peer)}`);
    }
    if (this.packet) this.line('packet', `${dir} ${bytes.length} octets ${prep} ${addr(peer)}: ${hexDump(bytes)}`);
  }

  private line(kind: L2tpDebugKind, text: string): void {
    this.emit({ type: 'l2tp-debug', kind, text });
  }
}

function addr(p: PeerAddress): string {
  return formatHostPort(p.address, p.port);
}
