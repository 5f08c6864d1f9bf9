// The portable UDP transport: node:dgram, one syscall per datagram. The fallback where koffi or the
// libc calls are unavailable, and the baseline in docs/BENCHMARKS.md "I/O".
// Related: udp-transport.ts (the interface), udp-batch.ts (the batched one), udp-open.ts.
import { createSocket, type Socket } from 'node:dgram';
import type { PeerAddress } from '../core/engine.js';
import type { UdpTransport, UdpTransportOptions } from './udp-transport.js';

/** The portable transport: node:dgram, one syscall per datagram, a synchronous `lookup` (no dns). */
export function openDgramTransport(opts: UdpTransportOptions): Promise<UdpTransport> {
  const socket: Socket = createSocket({
    type: 'udp4',
    recvBufferSize: opts.receiveBufferBytes ?? 4 << 20,
    // Addresses are always numeric here; skipping dns.lookup saves a tick per send (+6 % sent, docs/BENCHMARKS.md).
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
      // A refused send (EPERM from a firewall, ENETUNREACH) concerns one datagram; any other
      // error after bind means the socket stopped receiving.
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (err.syscall === 'send') opts.onError?.(err);
        else if (opts.onFatal !== undefined) opts.onFatal(err);
        else opts.onError?.(err);
      });
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
