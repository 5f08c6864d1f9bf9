// Reading one clear AVP out of a body that may not decode: the Host Name that picks the secret
// before hidden AVPs can be decoded (§4.3), the Assigned Tunnel/Session ID to address a StopCCN or
// CDN answering a message that failed to decode (§4.1). Related: endpoint.ts, tunnel.ts.
import { AvpCursor } from './wire/message.js';

const scanCursor = new AvpCursor(new Uint8Array(0));

/** The first clear (not hidden) Vendor-0 AVP of `type` with a 2-octet value, from a body that may not decode. */
export function scanU16(body: Uint8Array, type: number): number | undefined {
  scanCursor.reset(body);
  try {
    while (scanCursor.next()) {
      if (scanCursor.vendorId !== 0 || scanCursor.type !== type || scanCursor.hidden) continue;
      const v = scanCursor.value;
      return v.length === 2 ? (v[0]! << 8) | v[1]! : undefined;
    }
    return undefined;
  } finally {
    scanCursor.reset(new Uint8Array(0));
  }
}

/** The first clear Vendor-0 AVP of `type` as text (Host Name picks the secret before decoding, §4.3). */
export function scanString(body: Uint8Array, type: number): string | undefined {
  scanCursor.reset(body);
  try {
    while (scanCursor.next()) {
      if (scanCursor.vendorId !== 0 || scanCursor.type !== type || scanCursor.hidden) continue;
      return new TextDecoder().decode(scanCursor.value);
    }
    return undefined;
  } finally {
    scanCursor.reset(new Uint8Array(0));
  }
}
