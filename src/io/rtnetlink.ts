// Route, address and link changes through rtnetlink (RFC 3549; rtnetlink(7)), on one NETLINK_ROUTE
// socket driven through koffi, instead of an `ip` child per change (issue 9 item 5: execFileSync
// of `ip route replace/del` per session held the event loop for milliseconds each, 40,000 of them
// at teardown). The kernel handles an rtnetlink request inside the write() that sends it, so a
// change costs two system calls (write the request, read its acknowledgement) and a few µs, and
// changes take effect in the order they are written: a route deletion can never overtake a later
// addition for the same address (sessions reuse pool addresses). Failures carry the errno and
// the equivalent `ip` command. Related: tun-device.ts (its only user), libc.ts.
import { constants } from 'node:os';
import { formatIpv4, parseIpv4 } from '../core/ipv4.js';
import { parseIpv6 } from '../core/ipv6.js';
import { EAGAIN, EINTR, type Libc, loadLibc, type NativeBlock } from './libc.js';

const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SIOCGIFINDEX = 0x8933;
const IFNAMSIZ = 16;

const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;

const RTM_NEWLINK = 16;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_F_NODAD = 0x02;
const IFLA_MTU = 4;
const RTA_DST = 1;
const RTA_OIF = 4;
const IFF_UP = 0x1;
const RT_TABLE_MAIN = 254;
/** What `ip route` sets when no `proto` is given. */
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_NOWHERE = 255;
const RTN_UNICAST = 1;

/** The errno's symbolic name (EEXIST, ESRCH, …) for messages. */
function errnoName(e: number): string {
  for (const [name, value] of Object.entries(constants.errno)) if (value === e) return name;
  return `errno ${e}`;
}

/** A request the kernel refused: `errno` and the `ip` command that would have done the same. */
export class NetlinkError extends Error {
  constructor(
    readonly errno: number,
    readonly command: string,
  ) {
    super(`${command} failed: ${errnoName(errno)} (errno ${errno})`);
    this.name = 'NetlinkError';
  }
}

/** An IPv4 prefix, 'a.b.c.d/n' or a single address (/32). */
function parsePrefix(cidr: string): { address: number; length: number } {
  const [a, l] = cidr.split('/');
  const address = parseIpv4(a ?? '');
  const length = l === undefined ? 32 : Number(l);
  if (address === undefined || !Number.isInteger(length) || length < 0 || length > 32) {
    throw new RangeError(`not an IPv4 prefix: ${cidr}`);
  }
  return { address, length };
}

/** An IPv6 prefix 'x::/n' or a single address (/128) (issue 12 item 5: a session's /64, the LNS's address). */
function parsePrefix6(cidr: string): { address: Uint8Array; length: number } {
  const [a, l] = cidr.split('/');
  const address = parseIpv6(a ?? '');
  const length = l === undefined ? 128 : Number(l);
  if (address === undefined || !Number.isInteger(length) || length < 0 || length > 128) {
    throw new RangeError(`not an IPv6 prefix: ${cidr}`);
  }
  return { address, length };
}

/** Builds one request in native memory: header, fixed part, attributes (4-octet aligned). */
class Request {
  private at = 16;
  constructor(
    private readonly mem: NativeBlock,
    type: number,
    flags: number,
    seq: number,
  ) {
    mem.bytes.fill(0, 0, 256);
    const v = mem.view;
    v.setUint16(4, type, true);
    v.setUint16(6, flags | NLM_F_REQUEST | NLM_F_ACK, true);
    v.setUint32(8, seq, true);
  }

  u8(x: number): this {
    this.mem.view.setUint8(this.at++, x);
    return this;
  }

  u16(x: number): this {
    this.mem.view.setUint16(this.at, x, true);
    this.at += 2;
    return this;
  }

  u32(x: number): this {
    this.mem.view.setUint32(this.at, x >>> 0, true);
    this.at += 4;
    return this;
  }

  /** An attribute holding an IPv4 address (network order). */
  ipv4Attr(type: number, address: number): this {
    this.u16(8).u16(type);
    this.mem.view.setUint32(this.at, address >>> 0, false);
    this.at += 4;
    return this;
  }

  /** An attribute holding an IPv6 address (16 octets). */
  ipv6Attr(type: number, address: Uint8Array): this {
    this.u16(20).u16(type);
    for (let i = 0; i < 16; i++) this.mem.view.setUint8(this.at + i, address[i]!);
    this.at += 16;
    return this;
  }

  u32Attr(type: number, x: number): this {
    return this.u16(8).u16(type).u32(x);
  }

  /** Finishes the header; returns the request's length. */
  end(): number {
    this.mem.view.setUint32(0, this.at, true);
    return this.at;
  }
}

/**
 * One NETLINK_ROUTE socket (non-blocking). Each method sends one request with NLM_F_ACK and reads
 * its acknowledgement before returning (the kernel has already acted when write() returns);
 * throws NetlinkError when the kernel refused it.
 */
export class RtNetlink {
  /** Requests sent and refused, for diagnostics. */
  readonly stats = { requests: 0, refused: 0 };
  private readonly mem: NativeBlock;
  private readonly rx: NativeBlock;
  private seq = 0;
  private closed = false;

  private constructor(
    private readonly libc: Libc,
    private readonly fd: number,
  ) {
    this.mem = libc.alloc(256);
    this.rx = libc.alloc(8192);
  }

  /** Opens and binds the socket (in the calling process's network namespace). */
  static open(): RtNetlink {
    const libc = loadLibc();
    const fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw new Error(`netlink socket failed: ${errnoName(libc.errno())}`);
    const sa = libc.alloc(12); // struct sockaddr_nl: family, pad, pid 0 (the kernel assigns), groups 0
    try {
      sa.view.setUint16(0, AF_NETLINK, true);
      if (libc.bind(fd, sa.base, 12) < 0) {
        const e = libc.errno();
        libc.close(fd);
        throw new Error(`netlink bind failed: ${errnoName(e)}`);
      }
    } finally {
      sa.free();
    }
    return new RtNetlink(libc, fd);
  }

  /** The interface index of `name` (SIOCGIFINDEX, as if_nametoindex does). */
  ifIndex(name: string): number {
    const { libc } = this;
    const s = libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) throw new Error(`socket failed: ${errnoName(libc.errno())}`);
    const ifr = libc.alloc(40);
    try {
      ifr.bytes.set(Buffer.from(name, 'latin1').subarray(0, IFNAMSIZ - 1), 0);
      if (libc.ioctl(s, SIOCGIFINDEX, ifr.base) < 0) throw new NetlinkError(libc.errno(), `ip link show dev ${name}`);
      return ifr.view.getInt32(IFNAMSIZ, true);
    } finally {
      ifr.free();
      libc.close(s);
    }
  }

  /** `ip route replace CIDR dev IFINDEX` (scope link, main table). */
  replaceRoute(cidr: string, ifIndex: number, device = `#${ifIndex}`): void {
    if (cidr.includes(':')) {
      // IPv6 (issue 12 item 5): `ip -6 route replace CIDR dev IFINDEX` (scope universe, as ip sets it).
      const p6 = parsePrefix6(cidr);
      const r6 = this.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
      r6.u8(AF_INET6).u8(p6.length).u8(0).u8(0).u8(RT_TABLE_MAIN).u8(RTPROT_BOOT).u8(RT_SCOPE_UNIVERSE);
      r6.u8(RTN_UNICAST).u32(0).ipv6Attr(RTA_DST, p6.address).u32Attr(RTA_OIF, ifIndex);
      this.send(r6, `ip -6 route replace ${cidr} dev ${device}`);
      return;
    }
    const p = parsePrefix(cidr);
    const r = this.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
    r.u8(AF_INET).u8(p.length).u8(0).u8(0).u8(RT_TABLE_MAIN).u8(RTPROT_BOOT).u8(RT_SCOPE_LINK).u8(RTN_UNICAST).u32(0);
    r.ipv4Attr(RTA_DST, p.address).u32Attr(RTA_OIF, ifIndex);
    this.send(r, `ip route replace ${cidr} dev ${device}`);
  }

  /** `ip route del CIDR dev IFINDEX`. */
  deleteRoute(cidr: string, ifIndex: number, device = `#${ifIndex}`): void {
    if (cidr.includes(':')) {
      const p6 = parsePrefix6(cidr);
      const r6 = this.request(RTM_DELROUTE, 0);
      r6.u8(AF_INET6).u8(p6.length).u8(0).u8(0).u8(RT_TABLE_MAIN).u8(0).u8(RT_SCOPE_NOWHERE).u8(0).u32(0);
      r6.ipv6Attr(RTA_DST, p6.address).u32Attr(RTA_OIF, ifIndex);
      this.send(r6, `ip -6 route del ${cidr} dev ${device}`);
      return;
    }
    const p = parsePrefix(cidr);
    const r = this.request(RTM_DELROUTE, 0);
    r.u8(AF_INET).u8(p.length).u8(0).u8(0).u8(RT_TABLE_MAIN).u8(0).u8(RT_SCOPE_NOWHERE).u8(0).u32(0);
    r.ipv4Attr(RTA_DST, p.address).u32Attr(RTA_OIF, ifIndex);
    this.send(r, `ip route del ${cidr} dev ${device}`);
  }

  /** `ip addr add LOCAL/LEN [peer PEER] dev IFINDEX`; `local` is 'a.b.c.d' or 'a.b.c.d/len'. */
  addAddress(local: string, ifIndex: number, peer?: string, device = `#${ifIndex}`): void {
    this.address(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, local, ifIndex, peer, `ip addr add`, device);
  }

  /** `ip addr del LOCAL/LEN [peer PEER] dev IFINDEX`. */
  deleteAddress(local: string, ifIndex: number, peer?: string, device = `#${ifIndex}`): void {
    this.address(RTM_DELADDR, 0, local, ifIndex, peer, `ip addr del`, device);
  }

  /** `ip link set dev IFINDEX [mtu MTU] up`. */
  setUp(ifIndex: number, mtu?: number, device = `#${ifIndex}`): void {
    const r = this.request(RTM_NEWLINK, 0);
    r.u8(0).u8(0).u16(0).u32(ifIndex).u32(IFF_UP).u32(IFF_UP);
    if (mtu !== undefined) r.u32Attr(IFLA_MTU, mtu);
    this.send(r, `ip link set dev ${device}${mtu !== undefined ? ` mtu ${mtu}` : ''} up`);
  }

  /** Closes the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.libc.close(this.fd);
    this.mem.free();
    this.rx.free();
  }

  private address(
    type: number,
    flags: number,
    local: string,
    ifIndex: number,
    peer: string | undefined,
    verb: string,
    device: string,
  ): void {
    if (local.includes(':')) {
      // IPv6 (issue 12 item 5): `ip -6 addr add LOCAL/LEN dev IFINDEX` (nodad: no neighbour on a TUN link).
      const p6 = parsePrefix6(local);
      const r6 = this.request(type, flags);
      r6.u8(AF_INET6).u8(p6.length).u8(IFA_F_NODAD).u8(RT_SCOPE_UNIVERSE).u32(ifIndex);
      r6.ipv6Attr(IFA_LOCAL, p6.address).ipv6Attr(IFA_ADDRESS, p6.address);
      this.send(r6, `${verb.replace('ip ', 'ip -6 ')} ${local} nodad dev ${device}`);
      return;
    }
    const p = parsePrefix(local);
    const remote = peer === undefined ? p.address : parsePrefix(peer).address;
    const r = this.request(type, flags);
    r.u8(AF_INET).u8(p.length).u8(0).u8(RT_SCOPE_UNIVERSE).u32(ifIndex);
    r.ipv4Attr(IFA_LOCAL, p.address).ipv4Attr(IFA_ADDRESS, remote);
    const shown = `${formatIpv4(p.address)}/${p.length}${peer === undefined ? '' : ` peer ${peer}`}`;
    this.send(r, `${verb} ${shown} dev ${device}`);
  }

  private request(type: number, flags: number): Request {
    if (this.closed) throw new Error('netlink socket is closed');
    this.seq = (this.seq + 1) >>> 0;
    return new Request(this.mem, type, flags, this.seq);
  }

  /** Writes the request and reads its acknowledgement (already queued: the kernel acted in write()). */
  private send(r: Request, command: string): void {
    const { libc, fd } = this;
    const length = r.end();
    this.stats.requests++;
    for (;;) {
      if (libc.write(fd, this.mem.base, length) === length) break;
      const e = libc.errno();
      if (e !== EINTR) throw new NetlinkError(e, command);
    }
    const error = this.readAck(this.seq, command);
    if (error !== 0) {
      this.stats.refused++;
      throw new NetlinkError(error, command);
    }
  }

  /** The (positive) errno of the acknowledgement of `seq`, 0 for success; skips stale answers. */
  private readAck(seq: number, command: string): number {
    const { libc, fd, rx } = this;
    for (;;) {
      const n = libc.read(fd, rx.base, rx.bytes.length);
      if (n < 0) {
        const e = libc.errno();
        if (e === EINTR) continue;
        // EAGAIN: no answer although the kernel answers inside write(); ENOBUFS: answers were lost.
        throw new NetlinkError(e === EAGAIN ? 0 : e, `${command} (no acknowledgement)`);
      }
      const v = rx.view;
      for (let at = 0; at + 16 <= n; ) {
        const len = v.getUint32(at, true);
        if (len < 16) break;
        if (v.getUint16(at + 4, true) === NLMSG_ERROR && v.getUint32(at + 8, true) === seq && at + 20 <= n) {
          return -v.getInt32(at + 16, true);
        }
        at += (len + 3) & ~3;
      }
    }
  }
}
