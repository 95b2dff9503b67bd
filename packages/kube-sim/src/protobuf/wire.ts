/** The protobuf wire format: varints, length-delimited fields, fixed 64-bit doubles. */

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** A protobuf message that cannot be read; `offset` is where the reader was. */
export class WireError extends Error {
  override readonly name = "WireError";
}

/** Appends protobuf fields to a growing buffer. */
export class Writer {
  #buf = Buffer.allocUnsafe(256);
  #pos = 0;

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  /** An unsigned varint; negative numbers as their 64-bit two's complement (ten bytes), as Go writes int32 and int64. */
  varint(value: number): void {
    this.#ensure(10);
    if (value < 0) {
      let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
      while (v >= 0x80n) {
        this.#buf[this.#pos++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.#buf[this.#pos++] = Number(v);
      return;
    }
    let v = Math.trunc(value);
    while (v >= 0x80) {
      this.#buf[this.#pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.#pos++] = v;
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.#ensure(data.length);
    this.#buf.set(data, this.#pos);
    this.#pos += data.length;
  }

  string(text: string): void {
    const length = Buffer.byteLength(text);
    this.varint(length);
    this.#ensure(length);
    this.#pos += this.#buf.write(text, this.#pos, length, "utf8");
  }

  double(value: number): void {
    this.#ensure(8);
    this.#pos = this.#buf.writeDoubleLE(value, this.#pos);
  }

  /** Raw bytes with no length prefix (a magic number, a frame). */
  raw(data: Uint8Array): void {
    this.#ensure(data.length);
    this.#buf.set(data, this.#pos);
    this.#pos += data.length;
  }

  finish(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }
}

/** Reads protobuf fields from a buffer, between `pos` and `end`. */
export class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  #fail(what: string): never {
    throw new WireError(`protobuf: ${what} at byte ${this.pos}`);
  }

  /** A varint as an unsigned 64-bit BigInt. */
  #bigVarint(start: number): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = start; i < this.end && i < start + 10; i++) {
      const b = this.buf[i] ?? 0;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) {
        this.pos = i + 1;
        return BigInt.asUintN(64, result);
      }
    }
    return this.#fail("truncated varint");
  }

  /** A varint read as `bits`-bit two's complement (32 or 64); 0 for unsigned. */
  varint(bits: 0 | 32 | 64 = 0): number {
    const start = this.pos;
    let result = 0;
    let mult = 1;
    for (let i = start; i < this.end && i < start + 7; i++) {
      const b = this.buf[i] ?? 0;
      result += (b & 0x7f) * mult;
      if (b < 0x80) {
        this.pos = i + 1;
        return bits === 32 ? result | 0 : result;
      }
      mult *= 0x80;
    }
    const big = this.#bigVarint(start);
    if (bits === 0) return Number(big);
    return Number(BigInt.asIntN(bits, big));
  }

  /** The field number and wire type of the next field. */
  tag(): [field: number, wire: number] {
    const key = this.varint();
    return [Math.floor(key / 8), key % 8];
  }

  bytes(): Buffer {
    const length = this.varint();
    if (this.pos + length > this.end) this.#fail(`length ${length} past the end`);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** The bounds of a length-delimited field, skipping over it. */
  sub(): [start: number, end: number] {
    const length = this.varint();
    const start = this.pos;
    if (start + length > this.end) this.#fail(`length ${length} past the end`);
    this.pos += length;
    return [start, start + length];
  }

  double(): number {
    if (this.pos + 8 > this.end) this.#fail("truncated double");
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  float(): number {
    if (this.pos + 4 > this.end) this.#fail("truncated float");
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  skip(wire: number): void {
    if (wire === WIRE.varint) this.varint();
    else if (wire === WIRE.fixed64) this.pos += 8;
    else if (wire === WIRE.bytes) this.sub();
    else if (wire === WIRE.fixed32) this.pos += 4;
    else this.#fail(`unsupported wire type ${wire}`);
    if (this.pos > this.end) this.#fail("field past the end");
  }
}
