// A bound UDP socket behind one small interface, so the driver and the data path do not care
// whether datagrams move one per syscall (node:dgram) or in batches (koffi recvmmsg/sendmmsg).
// Types only: the implementations are udp-dgram.ts and udp-batch.ts, and udp-open.ts picks one.
// Related: udp-driver.ts, docs/BENCHMARKS.md "I/O".
import type { PeerAddress } from '../core/engine.js';

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
  /**
   * The socket can no longer receive (recvmmsg failed with an error other than EAGAIN/EINTR or
   * an ICMP-reported one; dgram: an 'error' outside send). Receiving has stopped; the owner
   * should close and exit (a supervisor restarts it) rather than run deaf.
   */
  readonly onFatal?: (err: Error) => void;
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
