import { describe, expect, it } from "vitest";
import { deviceNotice, deviceProblem, devicesHint } from "./devices";
import { headerStatus } from "./header";

const domError = (name: string): Error => Object.assign(new Error("Requested device not found"), { name });

describe("the agent's camera and microphone", () => {
  it("reads the browser's errors as problems, never its English", () => {
    expect(deviceProblem(domError("NotFoundError"))).toBe("missing");
    expect(deviceProblem(domError("NotAllowedError"))).toBe("denied");
    expect(deviceProblem(domError("NotReadableError"))).toBe("busy");
    expect(deviceProblem(new TypeError("Cannot read properties of undefined (reading 'getUserMedia')"))).toBe("insecure");
    expect(deviceProblem("odd")).toBe("other");
  });

  it("says in Chinese what works: a voice call without a camera, no voice without a microphone", () => {
    expect(deviceNotice({ audio: true, video: true, both: null, microphone: null })).toEqual({ text: "", level: "" });
    const voice = deviceNotice({ audio: true, video: false, both: "missing", microphone: null });
    expect(voice.level).toBe("warning");
    expect(voice.text).toContain("未检测到摄像头");
    expect(voice.text).toContain("语音通话");
    const mute = deviceNotice({ audio: false, video: true, both: "missing", microphone: "missing" });
    expect(mute.level).toBe("error");
    expect(mute.text).toContain("未检测到麦克风");
    const denied = deviceNotice({ audio: false, video: false, both: "denied", microphone: "denied" });
    expect(denied.text).toContain("浏览器未允许使用摄像头和麦克风");
    for (const notice of [voice, mute, denied]) expect(notice.text).not.toMatch(/[A-Za-z]{4,}/);
  });

  it("warns before a call about a device the computer lacks", () => {
    expect(devicesHint(["audioinput", "videoinput", "audiooutput"])).toBe("");
    expect(devicesHint(["audioinput"])).toContain("未检测到摄像头");
    expect(devicesHint(["videoinput"])).toContain("未检测到麦克风");
    expect(devicesHint([])).toContain("未检测到摄像头和麦克风");
    expect(devicesHint(null)).toBe("");
  });
});

describe("the console's header", () => {
  it("says one status that matches the agent: never 等待来电 on a break, never 空闲 in a call", () => {
    expect(headerStatus("available", "idle")).toEqual({ text: "空闲 · 等待来电", tone: "ready" });
    expect(headerStatus("away", "idle").text).toBe("小休 · 暂不接听来电");
    expect(headerStatus("away", "idle").text).not.toContain("等待来电");
    expect(headerStatus("wrap_up", "idle").tone).toBe("wrap_up");
    expect(headerStatus("offline", "idle").text).toBe("离线");
    expect(headerStatus("busy", "connected")).toEqual({ text: "通话中", tone: "in_call" });
    expect(headerStatus("available", "offered").text).toBe("来电振铃");
    expect(headerStatus("busy", "wrap_up").text).toBe("话后处理");
    expect(headerStatus("busy", "idle").tone).toBe("in_call");
  });
});
