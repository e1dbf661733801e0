import { describe, expect, it } from "vitest";
import { idCheckDigit, idNumberProblem, isValidIdNumber, normalizeIdNumber } from "./idNumber";

describe("ID numbers (GB 11643)", () => {
  it("computes the check character", () => {
    expect(idCheckDigit("11010519491231002")).toBe("X");
    expect(idCheckDigit("11010119900307123")).toBe("3");
  });

  it("accepts right numbers, a lower-case x and spaces", () => {
    expect(isValidIdNumber("11010519491231002X")).toBe(true);
    expect(isValidIdNumber("11010519491231002x")).toBe(true);
    expect(isValidIdNumber(" 110101 19900307 1233 ")).toBe(true);
    expect(isValidIdNumber("110105200002290013")).toBe(true); // 29 February 2000
    expect(normalizeIdNumber(" 11010519491231002x")).toBe("11010519491231002X");
    expect(normalizeIdNumber("１１０１０５１９４９１２３１００２ｘ")).toBe("11010519491231002X");
    expect(isValidIdNumber("１１０１０５１９４９１２３１００２Ｘ")).toBe(true);
  });

  it("says what is wrong", () => {
    expect(idNumberProblem("")).toBe("required");
    expect(idNumberProblem("1101051949123")).toBe("length");
    expect(idNumberProblem("1101051949123100XX")).toBe("format");
    expect(idNumberProblem("110105194902300026")).toBe("birth"); // 30 February
    expect(idNumberProblem("110105180001010011")).toBe("birth"); // before 1900
    expect(idNumberProblem("110105194912310021")).toBe("check");
    // Born after today (the check digit right): refused as the hub does.
    expect(idNumberProblem("11010520300101001X", new Date("2026-11-26T00:00:00Z"))).toBe("birth");
  });
});
