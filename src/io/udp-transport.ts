// A bound UDP socket behind one small interface, so the driver and the data path do not care
// whether datagrams move one per syscall (node:dgram) or in batches (udp-batch.ts, koffi
// recvmmsg/sendmmsg). Related: udp-driver.ts, udp-batch.ts, docs/BENCHMARKS.md "I/O".
import { createSocket, type Socket } from 'node:dgram';
import type { PeerAddress } from '../core/engine.js';
import { openBatchUdp } from './udp-batch.js';

/** Which implementation carries the datagrams. */
export type UdpTransportKind = 'mmsg' | 'dgram';

/** Callbacks and socket options shared by both transports. */
export interface UdpTransportOptions {
  /** Local address to bind (IPv4 dotted quad); default '0.0.0.0'. */
  readonly address?: string;
  /** Local port; 0 picks an ephemeral one. */
  readonly port: number;
  /**
   * One received datagram. `bytes` is only valid until the callback returns (the batched transport
   * reuses its receive slots): copy it to keep it. `from` objects are cached and may be shared.
   */
  readonly onDatagram: (bytes: Uint8Array, from: PeerAddress) => void;
  /** Called after each receive batch (after every datagram for dgram): the moment to flush. */
  readonly onBatchEnd?: () => void;
  /** Socket errors that are not per-datagram (default: ignored; ICMP errors are never fatal). */
  readonly onError?: (err: Error) => void;
  /** SO_RCVBUF in bytes (default 4 MiB). */
  readonly receiveBufferBytes?: number;
  /** Datagrams per recvmmsg/sendmmsg (batched transport only; default 64). */
  readonly batchSize?: number;
}

/** A bound UDP socket. */
export interface UdpTransport {
  readonly kind: UdpTransportKind;
  /** The bound local port. */
  readonly port: number;
  /**
   * Sends (dgram) or queues (mmsg) one datagram; the bytes are copied or handed to the kernel before
   * return, so the caller may reuse them. Queued datagrams go out at the end of the current receive
   * batch, when the queue is full, at `flush()`, or in a microtask at the latest.
   */
  send(bytes: Uint8Array, to: PeerAddress): void;
  /** Pushes queued datagrams to the kernel now. */
  flush(): void;
  /** Stops receiving and closes the socket; idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a UDP transport. 'auto' takes the batched koffi path and falls back to node:dgram when
 * koffi or the libc calls are unavailable (non-Linux, no prebuilt koffi).
 */
export async function openUdpTransport(
  kind: UdpTransportKind | 'auto',
  opts: UdpTransportOptions,
): Promise<UdpTransport> {
  if (kind === 'dgram') return openDgramTransport(opts);
  try {
    return openBatchUdp(opts);
  } catch (err) {
    if (kind === 'mmsg') throw err;
    return openDgramTransport(opts);
  }
}

/** The portable transport: node:dgram, one syscall per datagram, a synchronous `lookup` (no dns). */
export function openDgramTransport(opts: UdpTransportOptions): Promise<UdpTransport> {
  const socket: Socket = createSocket({
    type: 'udp4',
    recvBufferSize: opts.receiveBufferBytes ?? 4 << 20,
    // Addresses are always numeric here; skipping dns.lookup saves a tick per send (LIMITS.md §1).
    lookup: (address, _family, cb) => (cb as (e: null, a: string, f: number) => void)(null, address, 4),
  });
  const peers = new Map<string, PeerAddress>();
  let closed = false;
  socket.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let from = peers.get(key);
    if (from === undefined) {
      from = Object.freeze({ address: rinfo.address, port: rinfo.port });
      if (peers.size > 4096) peers.clear();
      peers.set(key, from);
    }
    opts.onDatagram(msg, from);
    opts.onBatchEnd?.();
  });
  return new Promise((resolve, reject) => {
    const onBindError = (err: Error): void => reject(err);
    socket.once('error', onBindError);
    socket.bind(opts.port, opts.address ?? '0.0.0.0', () => {
      socket.off('error', onBindError);
      socket.on('error', (err) => opts.onError?.(err));
      resolve({
        kind: 'dgram',
        port: socket.address().port,
        send(bytes: Uint8Array, to: PeerAddress): void {
          // libuv keeps a reference to the bytes when the kernel cannot take them at once; a copy
          // keeps the contract that the caller may reuse them (e.g. a TUN read slot).
          if (!closed) socket.send(Buffer.from(bytes), to.port, to.address);
        },
        flush(): void {},
        close(): Promise<void> {
          if (closed) return Promise.resolve();
          closed = true;
          return new Promise((r) => socket.close(() => r()));
        },
      });
    });
  });
}
