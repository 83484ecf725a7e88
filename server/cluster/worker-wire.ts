/** Output chunks on `out.<owner>.<name>`: 8 bytes of offset (big-endian), then the bytes. */
export function encodeChunk(start: number, chunk: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + chunk.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(start));
  out.set(chunk, 8);
  return out;
}

export function decodeChunk(data: Uint8Array): { start: number; chunk: Buffer } | undefined {
  if (data.length < 8) return undefined;
  const start = Number(new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0));
  return { start, chunk: Buffer.from(data.buffer, data.byteOffset + 8, data.length - 8) };
}
