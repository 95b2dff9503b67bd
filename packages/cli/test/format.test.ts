import { describe, expect, test } from "vitest";
import { duration } from "../src/format.js";

describe("durations in the timeline", () => {
  test("read as a person expects, with no 60 in a seconds place", () => {
    expect(duration(28)).toBe("28ms");
    expect(duration(1234)).toBe("1.23s");
    expect(duration(12_345)).toBe("12.3s");
    expect(duration(119_980)).toBe("2m00s");
    expect(duration(185_000)).toBe("3m05s");
    expect(duration(3_600_000 + 5 * 60_000)).toBe("1h05m");
    expect(duration(-1)).toBe("-");
  });
});
