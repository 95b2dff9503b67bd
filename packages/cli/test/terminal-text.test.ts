import { describe, expect, test } from "vitest";
import { columnsWide, cut, printable } from "../src/terminal-text.js";

// The live display cuts lines to the terminal's width: counted in columns as a terminal shows them
// (colour codes take none, wide characters two), with an ellipsis, colours reset after a cut.

describe("text cut to a terminal's width", () => {
  test("colour codes take no columns; wide characters take two", () => {
    expect(columnsWide("\x1b[32m✓\x1b[0m plan")).toBe(6);
    expect(columnsWide("版本 2.0")).toBe(8);
  });

  test("a line that fits is left alone; a wider one ends in … within the width, colours reset", () => {
    expect(cut("short", 10)).toBe("short");
    expect(cut("0123456789abc", 10)).toBe("012345678…");
    expect(columnsWide(cut("0123456789abc", 10))).toBe(10);
    expect(cut("\x1b[33m0123456789abc\x1b[0m", 10)).toBe("\x1b[33m012345678…\x1b[0m");
    expect(cut("版本版本版本", 7)).toBe("版本版…");
  });

  test("control characters (a newline in an abort reason, an escape) become spaces", () => {
    expect(printable("rolled back\nby\x1b[2Jcarol\t!")).toBe("rolled back by [2Jcarol !");
  });
});
