// The UDP fuzz target: a real L2TP endpoint (xl2tpd, l2tpns, our LNS as a process) at HOST:PORT.
// Each connection is a fresh UDP socket (a fresh source port), so the peer sees each case as a new
// LAC. It lives in io/ because it owns sockets and a real timer; the fuzz core only sees the
// FuzzTarget interface. Related: ../fuzz/target.ts, ../fuzz/in-process.ts (the same interface on
// virtual time).
import { createSocket, type Socket } from 'node:dgram';
import { Fifo } from '../core/fifo.js';
import type { FuzzConnection, FuzzTarget, FuzzTargetFactory } from '../fuzz/target.js';

/** Options of a UDP target. */
export interface UdpTargetOptions {
  readonly host: string;
  readonly port: number;
  /** Quiet time after which one step's replies are considered complete (default 150 ms). */
  readonly quietMs?: number;
  /** Local address to bind (default: any). */
  readonly bindAddress?: string;
}

/** A FuzzTarget that talks UDP to `host:port`. */
export class UdpTarget implements FuzzTarget {
  readonly quietMs: number;
  readonly description: string;
  private readonly open = new Set<Socket>();

  constructor(private readonly o: UdpTargetOptions) {
    this.quietMs = o.quietMs ?? 150;
    this.description = `udp ${o.host}:${o.port}`;
  }

  async connect(): Promise<FuzzConnection> {
    const family = this.o.host.includes(':') ? 'udp6' : 'udp4';
    const sock = createSocket({ type: family });
    this.open.add(sock);
    const inbox = new Fifo<Uint8Array>();
    let wake: (() => void) | undefined;
    // Whatever reaches this ephemeral socket came from the target (RFC 2661 §8.1 lets it answer from another port).
    sock.on('message', (msg) => {
      inbox.push(new Uint8Array(msg));
      wake?.();
    });
    sock.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ port: 0, ...(this.o.bindAddress !== undefined ? { address: this.o.bindAddress } : {}) }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    return {
      send: (bytes) =>
        new Promise<void>((resolve) => {
          sock.send(bytes, this.o.port, this.o.host, () => resolve());
        }),
      receive: async (timeoutMs) => {
        if (inbox.length === 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              wake = undefined;
              resolve();
            }, timeoutMs);
            wake = () => {
              clearTimeout(timer);
              wake = undefined;
              resolve();
            };
          });
        }
        return inbox.shift();
      },
      close: async () => {
        this.open.delete(sock);
        await new Promise<void>((resolve) => sock.close(() => resolve()));
      },
    };
  }

  async close(): Promise<void> {
    for (const s of this.open) s.close();
    this.open.clear();
  }
}

/** A factory that hands out the same remote each time (a real peer cannot be reset). */
export function udpTargetFactory(o: UdpTargetOptions): FuzzTargetFactory {
  return async () => new UdpTarget(o);
}
