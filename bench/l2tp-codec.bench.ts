// Micro-benchmarks of the L2TP wire codec (tinybench): header view on a data message, control message
// decode/encode on captured octets. Vectors are embedded (provenance below); nothing is read from disk.
// Related: src/l2tp/wire/{header,message}.ts, docs/BENCHMARKS.md "L2TP codec".
//
//   node --import tsx bench/l2tp-codec.bench.ts [--time 1000]
import { Bench } from 'tinybench';
import { fromHex } from '../src/core/bytes.js';
import { L2tpHeaderView } from '../src/l2tp/wire/header.js';
import { decodeControlMessage, encodeControlMessage, encodeControlPacket } from '../src/l2tp/wire/message.js';

const args = process.argv.slice(2);
const timeArg = args.indexOf('--time');
const TIME = timeArg >= 0 ? Number(args[timeArg + 1]) : 1000;

// test/vectors/uml-xl2tpd-pppd-mschapv2.pcap frame 1: xl2tpd 1.3.18 (LAC, in UML) SCCRQ, 105 octets, 9 AVPs.
const SCCRQ = fromHex(
  'c8020069000000000000000080080000000000018008000000020100800a0000000300000003800a00000004000000000008' +
    '000000060690800e000000076c61632d6c61633100130000000878656c6572616e63652e636f6d8008000000093c7b800800' +
    '00000a0004',
);
// test/vectors/xl2tpd-lns.pcap frame 49: ICRQ with a Random Vector and two hidden AVPs (secret "pksecret").
const ICRQ_HIDDEN = fromHex(
  'c8020060a4cd000000020001800800000000000a80160000002482251cc7c4cbed1f05df1e6f5334f86bc0160000000ebbe9' +
    '4aba24f8608e89faec4d061315b5c0160000000f62cc7bc8404d1e78bc1d95ff17c07435800a0000001200000001',
);
const SECRET = new TextEncoder().encode('pksecret');
// test/vectors/uml-xl2tpd-pppd-mschapv2.pcap frame 11: data message (L bit) carrying an LCP Configure-Request.
const DATA_WITH_LENGTH = fromHex('4002002417e86a15ff03c021010100180104058202060000000005063de73d4d07020802');
// Same capture frame 10: data message without the L bit (xl2tpd's default), 35 octets.
const DATA_PLAIN = fromHex('00023c7b1f3fff03c02101010019010405780206000000000305c223050506010c01d2');

const view = new L2tpHeaderView();
if (view.wrap(SCCRQ) !== undefined) throw new Error('SCCRQ vector does not parse');
const sccrqBody = view.body;
const decoded = decodeControlMessage(sccrqBody);
if (!decoded.ok) throw new Error('SCCRQ vector does not decode');
const sccrq = decoded.value;
if (view.wrap(ICRQ_HIDDEN) !== undefined) throw new Error('ICRQ vector does not parse');
const icrqBody = view.body;
const icrqDecoded = decodeControlMessage(icrqBody, { secret: SECRET });
if (!icrqDecoded.ok) throw new Error('ICRQ vector does not decode');
const icrq = icrqDecoded.value;

let sink = 0;
const bench = new Bench({ time: TIME, warmupTime: 200 });
const fns = new Map<string, { batch: number }>();
/**
 * Registers `fn` run `batch` times per tinybench iteration: tinybench times every iteration with
 * performance.now() (~40 ns each), which would otherwise cap a 20 ns operation at ~15 M/s.
 */
const add = (name: string, batch: number, fn: () => void): void => {
  fns.set(name, { batch });
  bench.add(name, () => {
    for (let i = 0; i < batch; i++) fn();
  });
};
add('L2tpHeaderView.wrap, data message with L bit (36 octets)', 100, () => {
  if (view.wrap(DATA_WITH_LENGTH) === undefined) sink += view.sessionId;
});
add('L2tpHeaderView.wrap, data message without L bit (35 octets)', 100, () => {
  if (view.wrap(DATA_PLAIN) === undefined) sink += view.sessionId;
});
add('header wrap + decodeControlMessage, xl2tpd SCCRQ (105 octets)', 10, () => {
  view.wrap(SCCRQ);
  const d = decodeControlMessage(view.body);
  if (d.ok) sink += d.value.avps.length;
});
add('decodeControlMessage, xl2tpd SCCRQ body', 10, () => {
  const d = decodeControlMessage(sccrqBody);
  if (d.ok) sink += d.value.avps.length;
});
add('encodeControlMessage, xl2tpd SCCRQ', 10, () => {
  sink += encodeControlMessage(sccrq).length;
});
add('encodeControlPacket (header + AVPs), xl2tpd SCCRQ', 10, () => {
  sink += encodeControlPacket({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0 }, sccrq).length;
});
add('decodeControlMessage, ICRQ with 2 hidden AVPs', 1, () => {
  const d = decodeControlMessage(icrqBody, { secret: SECRET });
  if (d.ok) sink += d.value.avps.length;
});
add('encodeControlMessage, ICRQ with 2 hidden AVPs', 1, () => {
  sink += encodeControlMessage(icrq, { secret: SECRET }).length;
});

await bench.run();

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
const fmt = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : `${(v / 1e3).toFixed(0)} k`);
console.table(
  bench.tasks.map((t) => {
    const r = t.result as { throughput?: { mean: number }; latency?: { p50?: number; rme?: number } } | undefined;
    const { batch } = fns.get(t.name)!;
    const mean = (r?.throughput?.mean ?? 0) * batch;
    const p50 = r?.latency?.p50;
    return {
      task: t.name,
      'ops/s (mean)': fmt(mean),
      'ops/s (median)': p50 === undefined ? '?' : fmt((batch / p50) * 1000),
      'ns/op (median)': p50 === undefined ? '?' : ((p50 * 1e6) / batch).toFixed(0),
      '±%': r?.latency?.rme?.toFixed(1) ?? '?',
    };
  }),
);
if (sink === 42) console.log(''); // keep the results alive
