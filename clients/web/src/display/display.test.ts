import { describe, expect, it } from "vitest";
import { fitCount, gridShape, textEm } from "./layout";

describe("gridShape", () => {
  it("puts every tile on screen, as large as the box allows", () => {
    // the counters' area of a 1080p display: 7 counters in 4 columns and 2 rows
    expect(gridShape(7, 1087, 585, 16, 1.05)).toEqual({ columns: 4, rows: 2 });
    // a portrait screen's wide, low area
    expect(gridShape(7, 1000, 300, 16, 1.05)).toEqual({ columns: 4, rows: 2 });
    expect(gridShape(7, 1600, 200, 16, 1.05)).toEqual({ columns: 7, rows: 1 });
    // a tall column
    expect(gridShape(6, 300, 900, 16, 1.05)).toEqual({ columns: 1, rows: 6 });
    for (const n of [1, 2, 5, 9, 12, 20]) {
      const { columns, rows } = gridShape(n, 1200, 700, 16);
      expect(columns * rows).toBeGreaterThanOrEqual(n);
      expect(columns * (rows - 1)).toBeLessThan(n); // no empty row
    }
  });

  it("has a shape before the box is measured", () => {
    expect(gridShape(7, 0, 0, 16)).toEqual({ columns: 3, rows: 3 });
    expect(gridShape(0, 100, 100, 16)).toEqual({ columns: 1, rows: 1 });
  });
});

describe("fitCount and textEm", () => {
  it("fits as many items as there is room for, within bounds", () => {
    expect(fitCount(1650, 300, 12, 2, 8)).toBe(5);
    expect(fitCount(100, 300, 12, 2, 8)).toBe(2);
    expect(fitCount(10_000, 300, 12, 2, 8)).toBe(8);
  });

  it("counts Chinese characters as one em, digits and letters as less", () => {
    expect(textEm("窗口")).toBe(2);
    expect(textEm("7号窗口（综合）")).toBeCloseTo(7.66);
    expect(textEm("A004")).toBeCloseTo(2.64);
  });
});
