// Text for a terminal: how many columns a string takes, cutting it to a width, and keeping
// control characters out of lines the live display redraws (one stray newline or escape in a
// reason would break its line count).

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/y;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Control characters (newlines, tabs, escapes) as spaces: a line stays one line and prints as text. */
export function printable(s: string): string {
  return s.replace(CONTROL, " ");
}

/** Columns a code point takes: 2 for East Asian wide and emoji, 0 for combining marks, else 1. */
function columnsOf(cp: number): number {
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Walks a string: each ANSI escape sequence (no columns) or code point (its columns). */
function* pieces(s: string): Generator<{ text: string; columns: number }> {
  let i = 0;
  while (i < s.length) {
    ANSI.lastIndex = i;
    const esc = ANSI.exec(s);
    if (esc !== null) {
      yield { text: esc[0], columns: 0 };
      i += esc[0].length;
      continue;
    }
    const cp = s.codePointAt(i) ?? 0;
    const text = String.fromCodePoint(cp);
    yield { text, columns: columnsOf(cp) };
    i += text.length;
  }
}

/** Columns the text takes on a terminal (escape sequences take none). */
export function columnsWide(s: string): number {
  let n = 0;
  for (const p of pieces(s)) n += p.columns;
  return n;
}

/** The text cut to `width` columns with an ellipsis when it is wider; colours are reset after a cut. */
export function cut(s: string, width: number): string {
  if (columnsWide(s) <= width) return s;
  let out = "";
  let used = 0;
  let styled = false;
  for (const p of pieces(s)) {
    if (p.columns === 0) {
      out += p.text;
      styled ||= p.text.startsWith("\x1b[");
      continue;
    }
    if (used + p.columns > width - 1) break;
    out += p.text;
    used += p.columns;
  }
  return `${out}…${styled ? "\x1b[0m" : ""}`;
}
