// TCP MSS clamping end to end (root only, issue 12 item 6): `l2tp-ts lns --tun --mss-clamp auto`
// in a namespace with a TCP listener, a LAC (createLac, MRU 1280) in another. The LAC's SYN offers
// MSS 1460 and the listener's kernel answers with 1360 (its TUN MTU 1400); both must arrive at the
// far side as 1240 (the session's MRU 1280 − 40): the SYN as the listener's side sees it on the TUN
// device (tcpdump), the SYN-ACK as the LAC receives it. The same over IPv6 (`+ipv6`, the LAC's
// address from the RA): 1220 (MRU 1280 − 60). Related: src/core/tcp-mss.ts, src/lns/lns.ts.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internetChecksum, onesComplementSum, parseIpv4 } from '../../src/core/ipv4.js';
import { parseIpv6 } from '../../src/core/ipv6.js';
import { createLac } from '../../src/index.js';
import { type LabProcess, labSkipReason, type NetLab, tail, waitFor } from '../support/netns.js';
import { startTunLab } from './lab-lns.js';

const skip = labSkipReason(['tcpdump', 'python3']) ?? (existsSync('/dev/net/tun') ? undefined : 'no /dev/net/tun');
const LNS_IP = '10.203.80.2';
const LAC_IP = '10.203.80.1';

/** A TCP SYN from `src`:40000 to 10.1.20.30:8080 offering `mss`, checksums right. */
function syn(src: string, mss: number): Uint8Array {
  const b = new Uint8Array(44);
  b[0] = 0x45;
  b[3] = 44;
  b[6] = 0x40; // DF
  b[8] = 64;
  b[9] = 6;
  b.set(src.split('.').map(Number), 12);
  b.set([10, 1, 20, 30], 16);
  const ipSum = internetChecksum(b, 0, 20);
  b[10] = ipSum >> 8;
  b[11] = ipSum & 0xff;
  b.set([0x9c, 0x40, 0x1f, 0x90], 20); // 40000 → 8080
  b.set([0, 0, 0x30, 0x39], 24); // seq
  b[32] = 6 << 4; // data offset 24
  b[33] = 0x02; // SYN
  b[34] = 0xfa; // window
  b.set([2, 4, mss >> 8, mss & 0xff], 40);
  const pseudo = new Uint8Array([...b.subarray(12, 20), 0, 6, 0, 24]);
  const sum = ~onesComplementSum(b, 20, 44, onesComplementSum(pseudo, 0, 12)) & 0xffff;
  b[36] = sum >> 8;
  b[37] = sum & 0xff;
  return b;
}

/** An IPv6 TCP SYN from `src`:40000 to 2001:db8:400::1:8081 offering `mss`, checksum right. */
function syn6(src: string, mss: number): Uint8Array {
  const b = new Uint8Array(64);
  b[0] = 0x60;
  b[5] = 24; // payload length
  b[6] = 6;
  b[7] = 64;
  b.set(parseIpv6(src)!, 8);
  b.set(parseIpv6('2001:db8:400::1')!, 24);
  b.set([0x9c, 0x40, 0x1f, 0x91], 40); // 40000 → 8081
  b.set([0, 0, 0x30, 0x39], 44);
  b[52] = 6 << 4;
  b[53] = 0x02;
  b[54] = 0xfa;
  b.set([2, 4, mss >> 8, mss & 0xff], 60);
  const pseudo = new Uint8Array([...b.subarray(8, 40), 0, 0, 0, 24, 0, 0, 0, 6]);
  const sum = ~onesComplementSum(b, 40, 64, onesComplementSum(pseudo, 0, pseudo.length)) & 0xffff;
  b[56] = sum >> 8;
  b[57] = sum & 0xff;
  return b;
}

/** The MSS option of an IPv6 TCP SYN(-ACK) without extension headers, if any. */
function mss6Of(p: Uint8Array): number | undefined {
  if (p[0]! >> 4 !== 6 || p[6] !== 6) return undefined;
  const end = 40 + (p[52]! >> 4) * 4;
  for (let i = 60; i < end; ) {
    if (p[i] === 0) return undefined;
    if (p[i] === 1) {
      i++;
      continue;
    }
    if (p[i] === 2) return (p[i + 2]! << 8) | p[i + 3]!;
    i += p[i + 1]!;
  }
  return undefined;
}

/** The MSS option of a TCP SYN(-ACK) IPv4 packet, if any. */
function mssOf(p: Uint8Array): number | undefined {
  if (p[9] !== 6) return undefined;
  const t = (p[0]! & 15) * 4;
  const end = t + (p[t + 12]! >> 4) * 4;
  for (let i = t + 20; i < end; ) {
    if (p[i] === 0) return undefined;
    if (p[i] === 1) {
      i++;
      continue;
    }
    if (p[i] === 2) return (p[i + 2]! << 8) | p[i + 3]!;
    i += p[i + 1]!;
  }
  return undefined;
}

describe.skipIf(skip !== undefined)(`--mss-clamp auto through TUN${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: NetLab;
  let lnsNs: string;
  let lacNs: string;
  let lns: LabProcess;
  let port: number;

  beforeAll(async () => {
    ({ lab, lnsNs, lacNs, lns, port } = await startTunLab({
      prefix: 'm',
      lnsIp: LNS_IP,
      lacIp: LAC_IP,
      config: { users: { alice: 's3cret' }, pppDebug: false, ipv6: true, ipv6Pool: '2001:db8:400::/48' },
      args: ['--no-control', '--mss-clamp', 'auto'],
    }));
    lab.spawn('listener', lnsNs, 'python3', [
      '-c',
      'import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(("0.0.0.0",8080))\ns.listen(8)\nt=socket.socket(socket.AF_INET6)\nt.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\nt.bind(("::",8081))\nt.listen(8)\ntime.sleep(120)',
    ]);
  }, 40_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 30_000);

  it('a SYN offering 1460 and the SYN-ACK offering 1360 both reach the far side as 1240 (MRU 1280 − 40)', async () => {
    const received: Uint8Array[] = [];
    const lac = await lab.withNetns(lacNs, () =>
      createLac({
        server: { address: LNS_IP, port },
        user: 'alice',
        password: 's3cret',
        mru: 1280,
        onIpPacket: (p) => received.push(p.slice()),
      }),
    );
    try {
      const up = await lac.waitFor('session-up', undefined, 15_000);
      const dev = /\d+: (l2tpts\S*?)[:@]/.exec(lab.run(lnsNs, 'ip', ['-o', 'link', 'show']).stdout)?.[1];
      expect(dev).toBeDefined();
      const dump = lab.spawn('tcpdump', lnsNs, 'tcpdump', ['-i', dev!, '-n', '-l', '-U', '-v', 'tcp port 8080']);
      await waitFor(
        'tcpdump',
        () => /listening on/.test(tail(dump.log)),
        10_000,
        () => tail(dump.log),
      );
      await waitFor(
        'the listener',
        () => /:8080\b/.test(lab.run(lnsNs, 'ss', ['-Hltn']).stdout),
        10_000,
        () => '',
      );
      const [session] = lac.engine.sessions.values();
      expect(lac.sendIp(session!, syn(up.address, 1460))).toBe(true);
      await waitFor(
        'the SYN-ACK at the LAC',
        () => received.some((p) => (p[33]! & 0x12) === 0x12),
        5000,
        () => tail(lns.log),
      );
      const synAck = received.find((p) => (p[33]! & 0x12) === 0x12)!;
      expect(mssOf(synAck)).toBe(1240);
      expect(parseIpv4('10.1.20.30')).toBe(
        ((synAck[12]! << 24) | (synAck[13]! << 16) | (synAck[14]! << 8) | synAck[15]!) >>> 0,
      );
      // The SYN as the listener's side saw it on the TUN device (tcpdump -v prints the options).
      await waitFor(
        'the SYN in tcpdump',
        () => /Flags \[S\].*mss/.test(tail(dump.log, 50)),
        5000,
        () => tail(dump.log),
      );
      expect(tail(dump.log, 50)).toMatch(/Flags \[S\],.*options \[mss 1240\]/);
      // The kernel's own SYN-ACK on the device still offered 1360: the LNS lowered it.
      expect(tail(dump.log, 50)).toMatch(/Flags \[S\.\],.*options \[mss 1360\]/);
    } finally {
      await lac.close();
    }
  }, 40_000);

  it('IPv6: a SYN offering 1440 and the kernel SYN-ACK reach the far side as 1220 (MRU 1280 − 60)', async () => {
    const received: Uint8Array[] = [];
    const lac = await lab.withNetns(lacNs, () =>
      createLac({
        server: { address: LNS_IP, port },
        user: 'alice',
        password: 's3cret',
        mru: 1280,
        ipv6: true,
        onIpPacket: (p) => received.push(p.slice()),
      }),
    );
    try {
      const { address } = await lac.waitFor('ipv6-address', undefined, 15_000);
      const routes = (): string => lab.run(lnsNs, 'ip', ['-6', 'route', 'show']).stdout;
      await waitFor('the /64 route', () => /2001:db8:400:\S+\/64 dev/.test(routes()), 5000, routes);
      const dev = /\d+: (l2tpts\S*?)[:@]/.exec(lab.run(lnsNs, 'ip', ['-o', 'link', 'show']).stdout)?.[1];
      const dump = lab.spawn('tcpdump6', lnsNs, 'tcpdump', ['-i', dev!, '-n', '-l', '-U', '-v', 'tcp port 8081']);
      await waitFor(
        'tcpdump',
        () => /listening on/.test(tail(dump.log)),
        10_000,
        () => tail(dump.log),
      );
      await waitFor(
        'the listener',
        () => /:8081\b/.test(lab.run(lnsNs, 'ss', ['-Hltn']).stdout),
        10_000,
        () => '',
      );
      const [session] = lac.engine.sessions.values();
      expect(lac.sendIp(session!, syn6(address, 1440))).toBe(true);
      const isSynAck6 = (p: Uint8Array): boolean => p[0]! >> 4 === 6 && p[6] === 6 && (p[53]! & 0x12) === 0x12;
      await waitFor(
        'the IPv6 SYN-ACK at the LAC',
        () => received.some(isSynAck6),
        5000,
        () => tail(lns.log),
      );
      expect(mss6Of(received.find(isSynAck6)!)).toBe(1220);
      await waitFor(
        'the SYN in tcpdump',
        () => /Flags \[S\].*mss/.test(tail(dump.log, 50)),
        5000,
        () => tail(dump.log),
      );
      expect(tail(dump.log, 50)).toMatch(/Flags \[S\],.*options \[mss 1220\]/);
      // The kernel offered more (its device MTU 1400 − 60): the LNS lowered it on the way out.
      const offered = Number(/Flags \[S\.\],.*options \[mss (\d+)\]/.exec(tail(dump.log, 50))?.[1]);
      expect(offered).toBeGreaterThan(1220);
    } finally {
      await lac.close();
    }
  }, 40_000);
});
