// A Linux TUN device (IFF_TUN|IFF_NO_PI) driven through koffi: TUNSETIFF ioctl, non-blocking fd,
// readiness from a libuv poll, drained with read() until EAGAIN into native slots that leave
// headroom for the L2TP+PPP header; write() from a native buffer. Reads reach 79 % of C's 581k pps at
// 64 B (docs/BENCHMARKS.md, Machine limits 2). Addresses, routes and the link state are set
// through rtnetlink (rtnetlink.ts): a few µs per change and no child process, so a session's /32
// route costs the event loop nothing noticeable (an `ip` child per change cost ≈ 9 ms).
import { closeSync, constants, openSync } from 'node:fs';
import {
  coalesceTcp,
  MAX_COALESCE,
  type PacketRef,
  parseVnetHeaderLe,
  segmentTcp,
  VNET_HEADER_LENGTH,
  VNET_NONE,
  writeVnetHeaderLe,
} from '../core/tcp-segment.js';
import { EAGAIN, EINTR, type Libc, loadLibc, type NativeBlock, type PollHandle } from './libc.js';
import { NetlinkError, RtNetlink } from './rtnetlink.js';

const TUNSETIFF = 0x400454ca;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
const IFF_MULTI_QUEUE = 0x0100;
const IFF_VNET_HDR = 0x4000;
/** _IOW('T', 208, unsigned int): the argument is the flag word itself. */
const TUNSETOFFLOAD = 0x400454d0;
/** _IOW('T', 216, int): the argument points at the header size. */
const TUNSETVNETHDRSZ = 0x400454d8;
const TUN_F_CSUM = 0x01;
const TUN_F_TSO4 = 0x02;
const TUN_F_TSO6 = 0x04;
/** What one read may return with offloads: a 64 KiB IP super-segment behind its vnet header. */
const OFFLOAD_READ = 65_535 + VNET_HEADER_LENGTH;
const IFNAMSIZ = 16;

/** Options of TunDevice.open. */
export interface TunDeviceOptions {
  /** Interface name or a kernel template such as 'ppp%d' (the kernel picks the number); default 'l2tpts%d'. */
  readonly name?: string;
  /** Writable bytes before every received packet, for headers prepended in place; default 16. */
  readonly headroom?: number;
  /** Largest packet read; default 1500 (longer ones are truncated by the kernel and dropped here). */
  readonly mtu?: number;
  /** Slots, i.e. packets read per readiness callback before yielding; default 64. */
  readonly batch?: number;
  /** IFF_MULTI_QUEUE: several fds (processes/threads) may attach to one device. */
  readonly multiQueue?: boolean;
  /**
   * IFF_VNET_HDR + TUNSETOFFLOAD(TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6) (issue 13 item 1): the kernel
   * may hand over TCP super-segments of up to 64 KiB and packets with a partial checksum; each is
   * cut here (src/core/tcp-segment.ts) into packets of at most `segmentMtu` with complete
   * checksums before `onPacket` sees it. Writes are staged until the end of the turn and each
   * train of consecutive segments of one TCP flow goes out as one GSO write (coalesceTcp), the
   * rest behind a zero vnet header. Off by default; a super-segment that cannot be cut is
   * dropped and counted (stats.offloadFaults).
   */
  readonly offload?: boolean;
  /** With `offload`: the largest IP packet handed to onPacket (the link MTU); default `mtu`. */
  readonly segmentMtu?: number;
  /**
   * With `offload`: the MTU to cut the packet at[at, at + length) to, asked once per read (e.g.
   * its session's MRU); at most `segmentMtu` is used. Default: `segmentMtu` for every packet.
   */
  readonly mtuFor?: (buf: Uint8Array, at: number, length: number, fallback: number) => number;
}

/**
 * One received packet: the IP packet is `slot[at, at + length)`, and `slot[0, at)` (at least
 * `headroom` bytes) may be overwritten with a header. Valid until `onBatchEnd` returns.
 */
export type TunPacketHandler = (slot: Uint8Array, at: number, length: number) => void;

/** Counters of one device. */
export interface TunStats {
  read: number;
  written: number;
  /** write() refused (EAGAIN: the kernel queue is full; or an error such as EINVAL for a bad packet). */
  writeDropped: number;
  /** Packets longer than `mtu`, dropped. */
  oversized: number;
  /** With offload: reads that were cut into several packets (GSO super-segments, mostly). */
  superSegments: number;
  /** With offload: packets those cuts produced. */
  segments: number;
  /** With offload: reads dropped because their vnet or IP/TCP headers were malformed. */
  offloadFaults: number;
  /** With offload: GSO writes, each a train of several same-flow TCP segments coalesced. */
  coalescedWrites: number;
  /** With offload: packets those GSO writes carried. */
  coalescedPackets: number;
}

/** With offload: a packet waiting in the staging area to be coalesced (mutable, reused). */
interface Staged {
  buf: Uint8Array;
  at: number;
  length: number;
}
/** With offload: staging slot size; a larger packet is written at once, after what waits. */
const STAGE_SLOT = 2048;

/** ESRCH/EADDRNOTAVAIL/ENODEV: what a removal answers when there is nothing left to remove. */
const GONE = new Set([3, 99, 19]);

let netlink: RtNetlink | undefined;
/** The process's one rtnetlink socket, opened on first use (in the namespace the process runs in). */
function rtnl(): RtNetlink {
  netlink ??= RtNetlink.open();
  return netlink;
}

/** A TUN interface owned by this process; it disappears when close() closes the fd. */
export class TunDevice {
  /** The kernel's name for the interface (a template such as 'ppp%d' resolved). */
  readonly name: string;
  readonly fd: number;
  readonly headroom: number;
  readonly stats: TunStats = {
    read: 0,
    written: 0,
    writeDropped: 0,
    oversized: 0,
    superSegments: 0,
    segments: 0,
    offloadFaults: 0,
    coalescedWrites: 0,
    coalescedPackets: 0,
  };
  /** Whether IFF_VNET_HDR and the offloads are on (see TunDeviceOptions.offload). */
  readonly offload: boolean;
  private readonly libc: Libc;
  private readonly mem: NativeBlock;
  private readonly slotBytes: number;
  private readonly batch: number;
  private readonly txAt: number;
  private readonly slots: Uint8Array[];
  private readonly mtu: number;
  private readonly segmentMtu: number;
  private readonly mtuFor: TunDeviceOptions['mtuFor'];
  /** With offload: where a cut segment is built, `headroom` free before it. */
  private readonly scratch: Uint8Array | undefined;
  /** With offload: packets written since the last flush, coalesced at the end of the turn. */
  private readonly staged: Staged[] = [];
  private stagedCount = 0;
  private readonly stage: Uint8Array | undefined;
  private flushQueued = false;
  private poll: PollHandle | undefined;
  private closed = false;
  private ifIndexCache: number | undefined;

  private constructor(libc: Libc, fd: number, name: string, opts: TunDeviceOptions) {
    this.libc = libc;
    this.fd = fd;
    this.name = name;
    this.headroom = opts.headroom ?? 16;
    this.offload = opts.offload === true;
    const mtu = this.offload ? OFFLOAD_READ : (opts.mtu ?? 1500);
    this.segmentMtu = opts.segmentMtu ?? opts.mtu ?? 1500;
    this.mtuFor = opts.mtuFor;
    // With offload each slot holds a 64 KiB read, so fewer of them (16 × 64 KiB = 1 MiB).
    this.batch = Math.max(1, opts.batch ?? (this.offload ? 16 : 64));
    // One extra byte per slot detects a packet longer than the mtu (read() returns more than mtu).
    this.slotBytes = (this.headroom + mtu + 1 + 63) & ~63;
    this.txAt = this.batch * this.slotBytes;
    this.mem = libc.alloc(this.txAt + 65536 + VNET_HEADER_LENGTH);
    this.scratch = this.offload ? new Uint8Array(this.headroom + this.segmentMtu) : undefined;
    this.stage = this.offload ? new Uint8Array(MAX_COALESCE * STAGE_SLOT) : undefined;
    if (this.stage !== undefined) {
      for (let i = 0; i < MAX_COALESCE; i++) {
        this.staged.push({ buf: this.stage, at: i * STAGE_SLOT, length: 0 });
      }
    }
    this.slots = [];
    for (let i = 0; i < this.batch; i++) {
      this.slots.push(this.mem.bytes.subarray(i * this.slotBytes, (i + 1) * this.slotBytes));
    }
    this.mtu = mtu;
  }

  /**
   * Opens /dev/net/tun and attaches (creating if needed) the interface with TUNSETIFF. Needs
   * CAP_NET_ADMIN; throws when the device, the capability or koffi is missing.
   */
  static open(opts: TunDeviceOptions = {}): TunDevice {
    const libc = loadLibc();
    const name = opts.name ?? 'l2tpts%d';
    if (Buffer.byteLength(name) >= IFNAMSIZ) throw new RangeError(`interface name too long: ${name}`);
    const fd = openSync('/dev/net/tun', constants.O_RDWR | constants.O_NONBLOCK);
    const ifr = libc.alloc(40); // struct ifreq: char name[16]; short flags; padding
    try {
      ifr.bytes.set(Buffer.from(name, 'latin1'), 0);
      const flags = IFF_TUN | IFF_NO_PI | (opts.multiQueue ? IFF_MULTI_QUEUE : 0) | (opts.offload ? IFF_VNET_HDR : 0);
      ifr.view.setUint16(IFNAMSIZ, flags, true);
      if (libc.ioctl(fd, TUNSETIFF, ifr.base) < 0) {
        const e = libc.errno();
        closeSync(fd);
        throw Object.assign(
          new Error(`TUNSETIFF ${name} failed: errno ${e}${e === 1 ? ' (needs CAP_NET_ADMIN)' : ''}`),
          {
            errno: e,
          },
        );
      }
      const end = ifr.bytes.indexOf(0);
      const actual = Buffer.from(ifr.bytes.subarray(0, end < 0 || end > IFNAMSIZ ? IFNAMSIZ : end)).toString('latin1');
      if (opts.offload) enableOffloads(libc, fd, actual, ifr);
      return new TunDevice(libc, fd, actual, opts);
    } finally {
      ifr.free();
    }
  }

  /**
   * Starts reading: on readiness, reads until EAGAIN (or `batch` packets), calling `onPacket` for
   * each, then `onBatchEnd`. libuv alone would deliver one packet per loop turn (every TUN read is short).
   */
  start(onPacket: TunPacketHandler, onBatchEnd?: () => void, onFatal?: (err: Error) => void): void {
    if (this.closed) throw new Error(`${this.name} is closed`);
    if (this.poll !== undefined) throw new Error(`${this.name} is already started`);
    const { libc, fd, headroom, slots, slotBytes, mtu, stats, batch, offload } = this;
    const base = this.mem.base;
    const readCap = slotBytes - headroom;
    this.poll = libc.pollReadable(fd, () => {
      let k = 0;
      for (; k < batch && !this.closed; k++) {
        const n = libc.read(fd, base + k * slotBytes + headroom, readCap);
        if (n < 0) {
          const e = libc.errno();
          if (e === EINTR) {
            k--;
            continue;
          }
          if (e !== EAGAIN) {
            // EBADFD: the interface was deleted under us (ip link del); EIO and the rest: the
            // device is gone. Level-triggered poll would spin on it: stop and report instead.
            this.stop();
            onFatal?.(
              new Error(`${this.name}: read failed with errno ${e}${e === 77 ? ' (the interface was deleted)' : ''}`),
            );
            return;
          }
          break; // EAGAIN: drained
        }
        if (n > mtu) {
          stats.oversized++;
          continue;
        }
        stats.read++;
        if (offload) this.cut(slots[k]!, headroom, n, onPacket);
        else onPacket(slots[k]!, headroom, n);
      }
      if (k > 0 && !this.closed) onBatchEnd?.();
    });
  }

  /**
   * With offload: the read slot[at, at + n) is a vnet header and an IP packet; hands onPacket the
   * packet itself (in the slot, `headroom` + 10 free before it) or, cut, each segment (in scratch).
   */
  private cut(slot: Uint8Array, at: number, n: number, onPacket: TunPacketHandler): void {
    const { stats } = this;
    const vnet = parseVnetHeaderLe(slot, at, n);
    if (!vnet.ok) {
      stats.offloadFaults++;
      return;
    }
    const ip = at + VNET_HEADER_LENGTH;
    const mtu =
      this.mtuFor === undefined
        ? this.segmentMtu
        : Math.min(this.segmentMtu, this.mtuFor(slot, ip, n - VNET_HEADER_LENGTH, this.segmentMtu));
    const r = segmentTcp(slot, ip, n - VNET_HEADER_LENGTH, vnet.header, mtu, this.scratch!, this.headroom, onPacket);
    if (!r.ok) stats.offloadFaults++;
    else if (r.cut) {
      stats.superSegments++;
      stats.segments += r.segments;
    }
  }

  /** Stops reading (the device stays up; start() may be called again). */
  stop(): void {
    this.poll?.close();
    this.poll = undefined;
  }

  /**
   * Writes one IP packet; false when the kernel refused it (counted in stats.writeDropped). With
   * offload the packet is staged instead (true) and written at the end of the turn, or when 64
   * wait, consecutive segments of one TCP flow coalesced into one GSO write (coalesceTcp); a
   * refusal is then only counted.
   */
  write(packet: Uint8Array): boolean {
    if (this.closed || packet.length > 65536) {
      this.stats.writeDropped++;
      return false;
    }
    if (!this.offload) return this.writeRaw(packet, 0);
    if (packet.length > STAGE_SLOT) {
      this.flushWrites();
      writeVnetHeaderLe(this.mem.bytes, this.txAt, VNET_NONE);
      return this.writeRaw(packet, VNET_HEADER_LENGTH);
    }
    const slot = this.staged[this.stagedCount++]!;
    slot.length = packet.length;
    this.stage!.set(packet, slot.at);
    if (this.stagedCount === MAX_COALESCE) this.flushWrites();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flushWrites());
    }
    return true;
  }

  /** With offload: writes what is staged, trains of one TCP flow as one GSO write each. */
  flushWrites(): void {
    this.flushQueued = false;
    const n = this.stagedCount;
    this.stagedCount = 0;
    if (n === 0 || this.closed) return;
    const { stats } = this;
    const refs: readonly PacketRef[] = n === MAX_COALESCE ? this.staged : this.staged.slice(0, n);
    for (let i = 0; i < n; ) {
      const r = coalesceTcp(refs, i, this.mem.bytes, this.txAt);
      if (!r.ok) {
        // Cannot happen (the area holds 64 KiB + a header); count and move on rather than loop.
        stats.writeDropped++;
        i++;
        continue;
      }
      if (r.merged) {
        stats.coalescedWrites++;
        stats.coalescedPackets += r.count;
      }
      const ok = this.writeRaw(undefined, r.length);
      if (ok) stats.written += r.count - 1;
      else stats.writeDropped += r.count - 1;
      i += r.count;
    }
  }

  /** write() of mem[txAt, txAt + head + packet) — `packet` copied there first unless undefined (then `head` is the whole length). */
  private writeRaw(packet: Uint8Array | undefined, head: number): boolean {
    let length = head;
    if (packet !== undefined) {
      this.mem.bytes.set(packet, this.txAt + head);
      length += packet.length;
    }
    for (;;) {
      const n = this.libc.write(this.fd, this.mem.base + this.txAt, length);
      if (n >= 0) {
        this.stats.written++;
        return true;
      }
      if (this.libc.errno() !== EINTR) break;
    }
    this.stats.writeDropped++;
    return false;
  }

  /** The kernel's interface index (looked up once). */
  get ifIndex(): number {
    this.ifIndexCache ??= rtnl().ifIndex(this.name);
    return this.ifIndexCache;
  }

  /**
   * Assigns an address: `setAddress('10.1.20.30/24')`, or point-to-point like pppd:
   * `setAddress('10.1.20.30', '10.1.20.31')`. Throws NetlinkError (EEXIST when it is there already).
   */
  setAddress(local: string, peer?: string): void {
    rtnl().addAddress(local, this.ifIndex, peer, this.name);
  }

  /** Removes an address added with setAddress (no error when it is already gone). */
  removeAddress(local: string, peer?: string): void {
    if (this.closed) return;
    ignoreGone(() => rtnl().deleteAddress(local, this.ifIndex, peer, this.name));
  }

  /** Sets the link up, with `mtu` when given. */
  up(mtu?: number): void {
    rtnl().setUp(this.ifIndex, mtu, this.name);
  }

  /** Routes `cidr` (e.g. '10.1.20.31/32') into this device (`ip route replace`). */
  addRoute(cidr: string): void {
    rtnl().replaceRoute(cidr, this.ifIndex, this.name);
  }

  /** Removes a route added with addRoute (no error when it is already gone). */
  removeRoute(cidr: string): void {
    // A closed device took its routes with it.
    if (this.closed) return;
    ignoreGone(() => rtnl().deleteRoute(cidr, this.ifIndex, this.name));
  }

  /** Stops reading and closes the fd; the kernel then removes the (non-persistent) interface. */
  close(): void {
    if (this.closed) return;
    if (this.offload) this.flushWrites();
    this.closed = true;
    this.stop();
    closeSync(this.fd);
    const mem = this.mem;
    // Freed on a later turn: a packet handler of this turn may still hold a slot.
    setImmediate(() => mem.free());
  }
}

/**
 * TUNSETVNETHDRSZ 10 (struct virtio_net_hdr, no num_buffers) and TUNSETOFFLOAD CSUM|TSO4|TSO6;
 * closes the fd and throws when the kernel refuses. The header's u16s are then in host order
 * (little-endian here): TUNSETVNETLE/BE would only matter on a big-endian host.
 */
function enableOffloads(libc: Libc, fd: number, name: string, scratch: NativeBlock): void {
  scratch.view.setInt32(0, VNET_HEADER_LENGTH, true);
  const steps: [string, () => number][] = [
    ['TUNSETVNETHDRSZ', () => libc.ioctl(fd, TUNSETVNETHDRSZ, scratch.base)],
    ['TUNSETOFFLOAD', () => libc.ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)],
  ];
  for (const [what, call] of steps) {
    if (call() < 0) {
      const e = libc.errno();
      closeSync(fd);
      throw Object.assign(new Error(`${what} on ${name} failed: errno ${e}`), { errno: e });
    }
  }
}

/** Runs a removal; "nothing to remove" answers are fine, anything else is thrown. */
function ignoreGone(remove: () => void): void {
  try {
    remove();
  } catch (err) {
    if (!(err instanceof NetlinkError && GONE.has(err.errno))) throw err;
  }
}

/** Where a session's packets go: one shared device with a host route per peer, or one device per session. */
export type TunMode = 'shared' | 'per-session';

/** A device handed out for one session, and what release() must undo. */
export interface TunLease {
  readonly device: TunDevice;
  /** Undo the route (shared) or close the device (per-session). */
  release(): void;
}

/** Options of createTunProvider. */
export interface TunProviderOptions extends TunDeviceOptions {
  readonly mode?: TunMode;
  /** Shared mode: the device's address with prefix, e.g. '10.1.20.30/24' (xl2tpd `local ip`). */
  readonly sharedAddress?: string;
  /** MTU set on the links (pppd `mtu`); default 1400 like the seed. */
  readonly linkMtu?: number;
}

/** Hands out TUN devices to sessions: the shared device (default) or a new ppp%d per session. */
export interface TunProvider {
  /** The shared device (shared mode) or undefined. */
  readonly shared: TunDevice | undefined;
  /** Every device open now (the shared one, or each session's). */
  devices(): Iterable<TunDevice>;
  /**
   * Routes `peer` through a device with `local` as our side. Shared: a /32 route to `peer`, and
   * `local`/32 added to the device unless it is the device's own address (xl2tpd `local ip
   * range`: each session its own local address; removed when its last session goes).
   * Per-session: a new device with `local` peer `peer`. Throws (leaving nothing behind) on failure.
   */
  acquire(local: string, peer: string, routes?: readonly string[]): TunLease;
  /** Closes every device it opened. */
  close(): void;
}

/**
 * Shared mode: one device opened at once, each session a /32 route to its peer. Per-session mode:
 * each acquire opens `ppp%d` (or opts.name) with local/peer addresses, as pppd does. Every device
 * delivers to the same `onPacket`; callers demultiplex by destination address (the peer's).
 */
export function createTunProvider(
  opts: TunProviderOptions,
  onPacket: TunPacketHandler,
  onBatchEnd?: () => void,
  /** A device stopped working (deleted, I/O error): `device` is the shared one or a session's. */
  onFatal?: (err: Error, device: TunDevice) => void,
): TunProvider {
  const mode = opts.mode ?? 'shared';
  const mtu = opts.linkMtu ?? 1400;
  const open = new Set<TunDevice>();
  /** Opens a device, addresses it (`address`) and brings it up, or closes it again; then starts reading. */
  const openDevice = (deviceOpts: TunDeviceOptions, address: (dev: TunDevice) => void): TunDevice => {
    // Offload cuts to the link's MTU: what the kernel would have sent without TSO.
    const dev = TunDevice.open({ ...deviceOpts, segmentMtu: deviceOpts.segmentMtu ?? mtu });
    try {
      address(dev);
      dev.up(mtu);
    } catch (err) {
      dev.close();
      throw err;
    }
    dev.start(onPacket, onBatchEnd, (err) => onFatal?.(err, dev));
    open.add(dev);
    return dev;
  };
  const shared =
    mode === 'shared'
      ? openDevice(opts, (dev) => {
          if (opts.sharedAddress !== undefined) dev.setAddress(opts.sharedAddress);
        })
      : undefined;
  const sharedLocal = opts.sharedAddress?.split('/')[0];
  /** Shared mode: per-session local addresses on the device, with the sessions using each. */
  const locals = new Map<string, number>();
  const holdLocal = (dev: TunDevice, local: string): void => {
    const n = locals.get(local) ?? 0;
    if (n === 0) dev.setAddress(`${local}/32`);
    locals.set(local, n + 1);
  };
  const dropLocal = (dev: TunDevice, local: string): void => {
    const n = (locals.get(local) ?? 1) - 1;
    if (n > 0) {
      locals.set(local, n);
      return;
    }
    locals.delete(local);
    dev.removeAddress(`${local}/32`);
  };
  return {
    shared,
    acquire(local, peer, routes = []): TunLease {
      if (shared !== undefined) {
        const dev = shared;
        const ownLocal = local !== sharedLocal;
        if (ownLocal) holdLocal(dev, local);
        const added: string[] = [];
        const undo = (): void => {
          try {
            for (const r of added.splice(0).reverse()) dev.removeRoute(r);
          } finally {
            if (ownLocal) dropLocal(dev, local);
          }
        };
        try {
          for (const r of [`${peer}/32`, ...routes]) {
            dev.addRoute(r);
            added.push(r);
          }
        } catch (err) {
          undo();
          throw err;
        }
        return { device: dev, release: undo };
      }
      // Its own device: the routes (added once the link is up) go with it when it closes.
      const dev = openDevice({ ...opts, name: opts.name ?? 'ppp%d' }, (d) => d.setAddress(local, peer));
      try {
        for (const r of routes) dev.addRoute(r);
      } catch (err) {
        dev.close();
        open.delete(dev);
        throw err;
      }
      return {
        device: dev,
        release: () => {
          dev.close();
          open.delete(dev);
        },
      };
    },
    devices: () => open.values(),
    close(): void {
      for (const d of open) d.close();
      open.clear();
    },
  };
}
