// A small terminal emulator for tests: what a person would see after a program's output, as an
// xterm-like terminal shows it. It handles what the live display writes: printable text with
// auto-wrap at the last column, CR, LF, cursor up (CSI n A), erase line (CSI 2K), erase below
// (CSI J), colours (CSI … m, ignored), and scrolls into a scrollback. A resize keeps lines as they
// are (no reflow; xterm truncates, it does not re-wrap) and is applied where the driver's marker
// `ESC ] 9999 ; resized=<cols> BEL` sits in the output, i.e. when the terminal changed size.

export class VtScreen {
  /** Every row ever written: scrollback first, the screen is the last `rows` of them. */
  readonly buffer: string[][] = [[]];
  /** Rows that continue on the next row because the text wrapped there. */
  readonly wrapped = new Set<number>();
  private row = 0;
  private col = 0;
  private pendingWrap = false;
  private pending = "";
  /** How many times a resize marker was seen. */
  resizes = 0;

  constructor(
    public cols: number,
    readonly rows: number,
    readonly reflow = false,
  ) {}

  private get top(): number {
    return Math.max(0, this.buffer.length - this.rows);
  }

  write(data: string): void {
    const s = this.pending + data;
    this.pending = "";
    let i = 0;
    while (i < s.length) {
      const ch = s[i]!;
      if (ch === "\x1b") {
        const rest = s.slice(i);
        const csi = /^\x1b\[([0-9;?]*)([A-Za-z])/.exec(rest);
        const osc = /^\x1b\]([^\x07]*)\x07/.exec(rest);
        if (csi) {
          this.csi(csi[1]!, csi[2]!);
          i += csi[0].length;
        } else if (osc) {
          this.osc(osc[1]!);
          i += osc[0].length;
        } else if (/^\x1b(\[[0-9;?]*|\][^\x07]*)?$/.test(rest)) {
          this.pending = rest; // an escape split across chunks
          return;
        } else i += 2;
        continue;
      }
      const cp = s.codePointAt(i)!;
      const text = String.fromCodePoint(cp);
      i += text.length;
      if (ch === "\r") {
        this.col = 0;
        this.pendingWrap = false;
      } else if (ch === "\n") this.lineFeed();
      else if (cp >= 0x20) this.put(text);
    }
  }

  private lineFeed(): void {
    this.pendingWrap = false;
    this.row++;
    while (this.buffer.length <= this.row) this.buffer.push([]);
  }

  private put(text: string): void {
    if (this.pendingWrap) {
      this.wrapped.add(this.row);
      this.col = 0;
      this.lineFeed();
    }
    const line = this.buffer[this.row]!;
    while (line.length < this.col) line.push(" ");
    line[this.col] = text;
    if (this.col === this.cols - 1) this.pendingWrap = true;
    else this.col++;
  }

  private csi(params: string, final: string): void {
    const n = Number(params || "1");
    if (final === "A") {
      this.row = Math.max(this.top, this.row - n);
      this.pendingWrap = false;
    } else if (final === "K" && params === "2") {
      this.buffer[this.row] = [];
      this.wrapped.delete(this.row);
    } else if (final === "J" && (params === "" || params === "0")) {
      this.buffer[this.row]!.length = Math.min(this.buffer[this.row]!.length, this.col);
      this.buffer.length = this.row + 1;
      for (const r of [...this.wrapped]) if (r >= this.row) this.wrapped.delete(r);
    }
  }

  private osc(body: string): void {
    const m = /^9999;resized=(\d+)$/.exec(body);
    if (!m) return;
    const cols = Number(m[1]);
    this.resizes++;
    if (this.reflow) this.rewrap(cols);
    else for (const line of this.buffer) line.length = Math.min(line.length, cols);
    this.cols = cols;
    this.col = Math.min(this.col, cols - 1);
    this.pendingWrap = false;
  }

  /** Every logical line wrapped again at `cols`; the cursor stays on the character it was on. */
  private rewrap(cols: number): void {
    const logical: string[][] = [];
    let cursor = { line: 0, offset: 0 };
    let current: string[] = [];
    this.buffer.forEach((row, i) => {
      if (i === this.row) cursor = { line: logical.length, offset: current.length + this.col };
      current = current.concat(this.wrapped.has(i) ? row.concat(Array<string>(Math.max(0, this.cols - row.length)).fill(" ")) : row);
      if (!this.wrapped.has(i)) {
        logical.push(current);
        current = [];
      }
    });
    if (current.length > 0) logical.push(current);
    this.buffer.length = 0;
    this.wrapped.clear();
    logical.forEach((text, l) => {
      const start = this.buffer.length;
      for (let at = 0; at === 0 || at < text.length; at += cols) {
        if (at > 0) this.wrapped.add(this.buffer.length - 1);
        this.buffer.push(text.slice(at, at + cols));
      }
      if (l === cursor.line) {
        this.row = start + Math.floor(cursor.offset / cols);
        this.col = cursor.offset % cols;
        while (this.buffer.length <= this.row) this.buffer.push([]);
      }
    });
  }

  /** Every row (scrollback and screen) as text, trailing blanks removed. */
  lines(): string[] {
    return this.buffer.map((l) => l.join("").trimEnd());
  }

  /** The rows on screen. */
  screen(): string[] {
    return this.lines().slice(this.top);
  }

  /** Rows joined where the text wrapped: each line as the program wrote it. */
  logicalLines(): string[] {
    const out: string[] = [];
    let current = "";
    this.buffer.forEach((l, i) => {
      current += this.wrapped.has(i) ? l.join("") : l.join("").trimEnd();
      if (!this.wrapped.has(i)) {
        out.push(current);
        current = "";
      }
    });
    return out;
  }
}
