import zlib from 'node:zlib';

/** An RGBA image as a PNG (8-bit, no interlace), written with node:zlib. */
export function png(width: number, height: number, pixel: (x: number, y: number) => number[]) {
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 4 + 1);
    rows[row] = 0; // filter: none
    for (let x = 0; x < width; x++) rows.set(pixel(x, y), row + 1 + x * 4);
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter set, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** How much of the pixel the letter "D" covers (0..1), sampled 4x4 for smooth edges. */
function coverage(x: number, y: number, size: number, stroke: number): number {
  let hits = 0;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      const u = (x + (i + 0.5) / 4) / size;
      const v = (y + (j + 0.5) / 4) / size;
      const inD = (r: number, left: number) =>
        (u >= left && u <= 0.46 && Math.abs(v - 0.5) <= r) ||
        (u > 0.46 && Math.hypot(u - 0.46, v - 0.5) <= r);
      if (inD(0.3, 0.26) && !inD(0.3 - stroke, 0.26 + stroke)) hits++;
    }
  }
  return hits / 16;
}

/** The color icon (192x192): a white "D" on Dynamiq's indigo. */
export function colorIcon(): Buffer {
  return png(192, 192, (x, y) => {
    const a = coverage(x, y, 192, 0.1);
    const mix = (bg: number) => Math.round(bg + (255 - bg) * a);
    return [mix(0x4f), mix(0x46), mix(0xe5), 255];
  });
}

/** The outline icon (32x32): the white "D" alone on transparency, as Teams requires. */
export function outlineIcon(): Buffer {
  return png(32, 32, (x, y) => [255, 255, 255, Math.round(255 * coverage(x, y, 32, 0.12))]);
}
