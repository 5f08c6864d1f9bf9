// The libc calls the batched data path needs, bound once through koffi (FFI). Loaded lazily so
// that importing src/io never fails where koffi or glibc is missing; callers fall back to node:dgram.
// Why FFI: one syscall costs ≈ 1.45 µs here, so one per batch instead of one per packet decides the
// data path's cost (docs/BENCHMARKS.md, Machine limits 3). Related: udp-batch.ts, tun-device.ts.
import { createRequire } from 'node:module';

/** Native memory block with a JS view over it (fixed address for iovecs and mmsghdrs). */
export interface NativeBlock {
  /** Address of byte 0. */
  readonly base: number;
  /** The same bytes, seen from JS. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Releases the memory; the views must not be used afterwards. */
  free(): void;
}

/** The libc functions, pointers passed as numbers (addresses inside a NativeBlock). */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: number, len: number): number;
  getsockname(fd: number, addr: number, lenPtr: number): number;
  setsockopt(fd: number, level: number, name: number, value: number, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: number, lenPtr: number): number;
  recvmmsg(fd: number, msgs: number, vlen: number, flags: number, timeout: number): number;
  sendmmsg(fd: number, msgs: number, vlen: number, flags: number): number;
  read(fd: number, buf: number, len: number): number;
  write(fd: number, buf: number, len: number): number;
  ioctl(fd: number, request: number, arg: number): number;
  close(fd: number): number;
  /** errno of the last failed call on this thread. */
  errno(): number;
  /** Allocates zeroed native memory that lives as long as the returned object is referenced. */
  alloc(bytes: number): NativeBlock;
  /** uv_poll on `fd` for readability; the handle must stay referenced (once collected it silently stops firing). */
  pollReadable(fd: number, onReadable: () => void): PollHandle;
}

/** A libuv poll handle (koffi.node.PollHandle). */
export interface PollHandle {
  stop(): void;
  close(): void;
  unref(): void;
  ref(): void;
}

/** errno values used by the callers. */
export const EAGAIN = 11;
export const EINTR = 4;

let cached: Libc | undefined;
let failure: Error | undefined;

/** libc through koffi; throws (once, then the cached error) when koffi, glibc or 64-bit Linux is missing. */
export function loadLibc(): Libc {
  if (cached !== undefined) return cached;
  if (failure !== undefined) throw failure;
  try {
    if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) {
      // The struct layouts in udp-batch.ts/tun-device.ts are those of 64-bit little-endian Linux.
      throw new Error(`batched I/O needs 64-bit Linux (x64/arm64), not ${process.platform}/${process.arch}`);
    }
    const require = createRequire(import.meta.url);
    // biome-ignore lint/suspicious/noExplicitAny: koffi's typings are loose; the Libc interface is the contract.
    const koffi = require('koffi') as any;
    const lib = koffi.load('libc.so.6');
    const f = (decl: string) => lib.func(decl);
    const keep = new Set<unknown>();
    cached = {
      socket: f('int socket(int, int, int)'),
      bind: f('int bind(int, intptr_t, unsigned int)'),
      getsockname: f('int getsockname(int, intptr_t, intptr_t)'),
      setsockopt: f('int setsockopt(int, int, int, intptr_t, unsigned int)'),
      getsockopt: f('int getsockopt(int, int, int, intptr_t, intptr_t)'),
      recvmmsg: f('int recvmmsg(int, intptr_t, unsigned int, int, intptr_t)'),
      sendmmsg: f('int sendmmsg(int, intptr_t, unsigned int, int)'),
      read: f('long read(int, intptr_t, unsigned long)'),
      write: f('long write(int, intptr_t, unsigned long)'),
      ioctl: f('int ioctl(int, unsigned long, intptr_t)'),
      close: f('int close(int)'),
      errno: () => koffi.errno() as number,
      alloc(bytes: number): NativeBlock {
        const ptr = koffi.alloc('uint8_t', bytes);
        const base = Number(koffi.address(ptr));
        const ab = koffi.view(ptr, bytes) as ArrayBuffer;
        const u8 = new Uint8Array(ab);
        u8.fill(0);
        let freed = false;
        return {
          base,
          bytes: u8,
          view: new DataView(ab),
          free: () => {
            if (freed) return;
            freed = true;
            koffi.free(ptr);
          },
        };
      },
      pollReadable(fd: number, onReadable: () => void): PollHandle {
        const h = koffi.node.poll(fd, { readable: true }, onReadable) as PollHandle;
        keep.add(h);
        return {
          stop: () => h.stop(),
          close: () => {
            keep.delete(h);
            h.close();
          },
          unref: () => h.unref(),
          ref: () => h.ref(),
        };
      },
    };
    return cached;
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
    throw failure;
  }
}
