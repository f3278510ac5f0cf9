/** How much of each output stream is kept: the first `headBytes` and the last `tailBytes`. */
export interface OutputLimits {
  headBytes: number;
  tailBytes: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { headBytes: 32 * 1024, tailBytes: 32 * 1024 };

/**
 * Keeps the head and the tail of a byte stream plus its length, in memory bounded by the
 * limits whatever the stream's size: a command printing gigabytes must not take the worker
 * down, and for an agent the start (what ran) and the end (how it ended) matter most.
 */
export class BoundedOutput {
  // Both parts grow on demand: most commands print little, and readFile uses a large head.
  private readonly headChunks: Buffer[] = [];
  private headFilled = 0;
  private tail: Buffer | undefined;
  /** Next write position in the tail ring. */
  private tailPos = 0;
  private tailFilled = 0;
  private total = 0;

  constructor(private readonly limits: OutputLimits) {}

  get totalBytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > this.limits.headBytes + this.limits.tailBytes;
  }

  push(chunk: Uint8Array): void {
    this.total += chunk.length;
    let offset = 0;
    if (this.headFilled < this.limits.headBytes) {
      const n = Math.min(this.limits.headBytes - this.headFilled, chunk.length);
      // Copied, because stream chunks may be views into a larger pooled buffer.
      this.headChunks.push(Buffer.from(chunk.subarray(0, n)));
      this.headFilled += n;
      offset = n;
    }
    const size = this.limits.tailBytes;
    if (offset >= chunk.length || size === 0) return;
    this.tail ??= Buffer.alloc(size);
    let rest = chunk.subarray(offset);
    // Only the last `size` bytes of a big chunk can survive, so skip the rest up front.
    if (rest.length > size) rest = rest.subarray(rest.length - size);
    const first = Math.min(size - this.tailPos, rest.length);
    this.tail.set(rest.subarray(0, first), this.tailPos);
    this.tail.set(rest.subarray(first), 0);
    this.tailPos = (this.tailPos + rest.length) % size;
    this.tailFilled = Math.min(size, this.tailFilled + rest.length);
  }

  /** Everything kept as bytes; only meaningful when not truncated (e.g. a file read). */
  bytes(): Buffer {
    return Buffer.concat([...this.headChunks, this.orderedTail()]);
  }

  /** The kept text; when truncated, head and tail are joined by a marker naming the gap. */
  text(): string {
    const head = Buffer.concat(this.headChunks);
    const tail = this.orderedTail();
    if (!this.truncated) return Buffer.concat([head, tail]).toString('utf8');
    const omitted = this.total - head.length - tail.length;
    const headText = trimIncompleteEnd(head).toString('utf8');
    const tailText = trimIncompleteStart(tail).toString('utf8');
    return `${headText}\n[... ${omitted} bytes omitted ...]\n${tailText}`;
  }

  private orderedTail(): Buffer {
    if (!this.tail) return Buffer.alloc(0);
    if (this.tailFilled < this.tail.length) return this.tail.subarray(0, this.tailFilled);
    return Buffer.concat([this.tail.subarray(this.tailPos), this.tail.subarray(0, this.tailPos)]);
  }
}

/** Drops a UTF-8 sequence cut off at the end, so the cut does not show as a replacement char. */
function trimIncompleteEnd(buf: Buffer): Buffer {
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const byte = buf[buf.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue;
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? buf.subarray(0, buf.length - back) : buf;
  }
  return buf;
}

/** Drops continuation bytes at the start whose leading byte fell into the omitted middle. */
function trimIncompleteStart(buf: Buffer): Buffer {
  let i = 0;
  while (i < Math.min(3, buf.length) && ((buf[i] as number) & 0xc0) === 0x80) i++;
  return buf.subarray(i);
}
