// The portable UDP transport: node:dgram, one syscall per datagram. The fallback where koffi or the
// libc calls are unavailable, and the baseline in docs/BENCHMARKS.md "I/O".
// Related: udp-transport.ts (the interface), udp-batch.ts (the batched one), udp-open.ts.
import { createSocket, type Socket } from 'node:dgram';
import type { PeerAddress } from '../core/engine.js';
import { parseIpv4 } from '../core/ipv4.js';
import { canonicalAddress, isIpv6Address } from '../core/peer-address.js';
import type { UdpTransport, UdpTransportOptions } from './udp-transport.js';

/**
 * The portable transport: node:dgram, one syscall per datagram, a synchronous `lookup` (no dns).
 * An IPv6 bind address opens a dual-stack udp6 socket; IPv4 peers on it are reported and addressed
 * as dotted quads, as the batched transport does.
 */
export function openDgramTransport(opts: UdpTransportOptions): Promise<UdpTransport> {
  const bindAddress = opts.address ?? '0.0.0.0';
  const v6 = isIpv6Address(bindAddress);
  const socket: Socket = createSocket({
    type: v6 ? 'udp6' : 'udp4',
    ipv6Only: false,
    recvBufferSize: opts.receiveBufferBytes ?? 4 << 20,
    // Addresses are always numeric here; skipping dns.lookup saves a tick per send (+6 % sent, docs/BENCHMARKS.md).
    lookup: (address, _family, cb) =>
      (cb as (e: null, a: string, f: number) => void)(null, address, isIpv6Address(address) ? 6 : 4),
  });
  /** On a udp6 socket an IPv4 peer is written IPv4-mapped; an IPv6 peer on udp4 is unreachable (undefined). */
  const sendTo = (address: string): string | undefined => {
    if (!v6) return isIpv6Address(address) ? undefined : address;
    return parseIpv4(address) !== undefined ? `::ffff:${address}` : address;
  };
  const peers = new Map<string, PeerAddress>();
  let closed = false;
  socket.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let from = peers.get(key);
    if (from === undefined) {
      from = Object.freeze({ address: canonicalAddress(rinfo.address) ?? rinfo.address, port: rinfo.port });
      if (peers.size > 4096) peers.clear();
      peers.set(key, from);
    }
    opts.onDatagram(msg, from);
    opts.onBatchEnd?.();
  });
  return new Promise((resolve, reject) => {
    const onBindError = (err: Error): void => reject(err);
    socket.once('error', onBindError);
    socket.bind(opts.port, bindAddress.replace(/^\[|\]$/g, ''), () => {
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
          if (closed) return;
          const address = sendTo(to.address);
          if (address !== undefined) socket.send(Buffer.from(bytes), to.port, address);
          else opts.onError?.(new Error(`udp: no route to ${to.address} from a udp4 socket`));
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
