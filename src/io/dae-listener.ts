// The socket of the Dynamic Authorization server (RFC 5176; `lns --radius-dae HOST:PORT`): one
// node:dgram socket, the wall clock for Event-Timestamp, and the LNS engine acting on what the
// sans-IO server (../radius/dae-server.ts) has checked. Related: create-lns.ts, docs/RADIUS.md.
import type { PeerAddress } from '../core/engine.js';
import type { DaeOutcome, DaeRequest, DaeResult, DaeServer } from '../radius/index.js';
import { openDgramTransport } from './udp-dgram.js';

/** Options of openDaeListener. */
export interface DaeListenerOptions {
  readonly address: string;
  /** 0 picks an ephemeral port (tests); RFC 5176 §3.1's default is 3799. */
  readonly port: number;
  readonly server: DaeServer;
  /** The engine acts on a checked request (called synchronously, at most once per datagram). */
  readonly act: (request: DaeRequest) => DaeOutcome;
  /** Every datagram's fate, for logs. */
  readonly onResult?: (result: DaeResult, from: PeerAddress) => void;
  /** The socket stopped receiving. */
  readonly onFatal?: (err: Error) => void;
}

/** A bound DAE socket. */
export interface DaeListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Binds the DAE socket; datagrams are answered as they arrive. */
export async function openDaeListener(o: DaeListenerOptions): Promise<DaeListener> {
  let send: ((bytes: Uint8Array, to: PeerAddress) => void) | undefined;
  const t = await openDgramTransport({
    address: o.address,
    port: o.port,
    receiveBufferBytes: 256 << 10,
    onDatagram: (bytes, from) => {
      const r = o.server.handleDatagram(bytes, from, Date.now() / 1000, o.act);
      if (r.type === 'answered') send?.(r.bytes, from);
      o.onResult?.(r, from);
    },
    ...(o.onFatal !== undefined && { onFatal: o.onFatal }),
  });
  send = (bytes, to) => t.send(bytes, to);
  return { port: t.port, close: () => t.close() };
}
