// PPP frames with provenance, as carried in L2TP data messages (FF 03 protocol information).

/**
 * l2tpns 2.x LCP Configure-Request (MRU 1462, auth CHAP-MD5, magic, MRRU 1614, Endpoint-Discriminator
 * class 2 IP 10.201.99.1). Source: /work/shared/peers/captures/l2tpns-lns/l2tp.pcap frame 14
 * (tshark -x, L2TP data tid=49607 sid=100; decoded in dissect-l2tp.txt #14).
 */
export const L2TPNS_LCP_CONFREQ =
  'ff 03 c0 21 01 01 00 1e 01 04 05 b6 03 05 c2 23 05 05 06 6b 08 b6 14 11 04 06 4e 13 07 02 0a c9 63 01';

/** The Configure-Reject a peer without multilink answers it with: MRRU and Endpoint-Discriminator, in order (same capture, frame 41). */
export const L2TPNS_LCP_CONFREJ_OPTIONS = '11 04 06 4e 13 07 02 0a c9 63 01';

/** RFC 1332/1877 IPCP Configure-Request of a Windows-style peer: addr 0.0.0.0, ms-dns1/2 0.0.0.0 (constructed from RFC 1877 §1). */
export const IPCP_CONFREQ_ZERO = 'ff 03 80 21 01 01 00 16 03 06 00 00 00 00 81 06 00 00 00 00 83 06 00 00 00 00';

/** REFERENCES.md §3.5: MS-CHAPv2 Response (Identifier 0x05, Name "User") from RFC 2759 §9.2 values. */
export const MSCHAPV2_RESPONSE =
  'ff 03 c2 23 02 05 00 3a 31 21 40 23 24 25 5e 26 2a 28 29 5f 2b 3a 33 7c 7e 00 00 00 00 00 00 00 00 ' +
  '82 30 9e cd 8d 70 8b 5e a0 8f aa 39 81 cd 83 54 42 33 11 4a 3d 85 d6 df 00 55 73 65 72';
