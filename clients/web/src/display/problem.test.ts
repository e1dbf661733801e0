import { describe, expect, it } from "vitest";
import { deviceProblem, isLinkProblem } from "./problem";

describe("deviceProblem", () => {
  it("says in Chinese what happened and what to do, never the raw code", () => {
    for (const code of ["TOKEN_INVALID", "TOKEN_EXPIRED", "UNAUTHENTICATED", "FORBIDDEN", "TOPIC_FORBIDDEN", "HALL_NOT_FOUND"]) {
      const problem = deviceProblem({ kind: "code", code, id: "xc-01" }, "display");
      const text = `${problem.title}${problem.detail}${problem.action}`;
      expect(text).not.toContain(code);
      expect(text).not.toMatch(/[A-Z]{2,}_[A-Z]/);
    }
    expect(deviceProblem({ kind: "code", code: "TOKEN_EXPIRED" }, "display")).toMatchObject({
      title: "大屏链接已过期",
      action: "请联系管理员重新生成大屏链接，并在本机浏览器中打开新链接。",
    });
    expect(deviceProblem({ kind: "code", code: "TOKEN_INVALID" }, "counter").title).toBe("窗口屏链接无效");
    expect(deviceProblem({ kind: "code", code: "HALL_NOT_FOUND", id: "xc-09" }, "display").detail).toContain("xc-09");
    expect(deviceProblem({ kind: "no-token" }, "display").action).toContain("重新生成大屏链接");
  });

  it("tells link problems from passing ones", () => {
    expect(isLinkProblem("TOKEN_EXPIRED")).toBe(true);
    expect(isLinkProblem("NETWORK")).toBe(false);
    expect(isLinkProblem(null)).toBe(false);
  });
});
