import { describe, expect, it } from "vitest";
import { isNotifierSection, sectionFromHash } from "../sections";
import { deliveryParams } from "./api";
import { channelChart, channelRows } from "./channelStats";
import { cleanContact, isRecipientId, optOutText, quietText } from "./contacts";
import { blankFilters, deliveryQuery, stamp } from "./deliveries";
import { blankRule, cleanRule, fallbackText, ruleProblems } from "./rules";
import { cleanDraft, fieldsOf, parseSample, problemText, problemsByField, templateRows } from "./templates";
import type { Kind, NotifierStats, Rule, Template } from "./types";

const KINDS: Kind[] = [
  { id: "ticket_near", title: "即将叫号提醒", critical: false, sample: { number: "A012" } },
  { id: "notice", title: "通知公告", critical: false, sample: { title: "t", body: "b" } },
];

function template(kind: string, channel: Template["channel"], version = 1): Template {
  return {
    id: `${kind}/${channel}/zh-CN/v${version}`,
    kind,
    channel,
    locale: "zh-CN",
    version,
    subject: "",
    text: "{{ number }}",
    html: "",
    created_at: "2026-11-26T05:00:00Z",
    created_by: "admin",
    created_by_name: "系统管理员",
  };
}

describe("template editing", () => {
  it("shows the parts a channel uses", () => {
    expect(fieldsOf("sms")).toEqual(["text"]);
    expect(fieldsOf("in_app")).toEqual(["subject", "text"]);
    expect(fieldsOf("email")).toEqual(["subject", "text", "html"]);
    expect(cleanDraft({ kind: "notice", channel: "sms", locale: "zh-CN", subject: "x", text: "y", html: "z" })).toMatchObject({
      subject: "",
      html: "",
      text: "y",
    });
  });

  it("puts TEMPLATE_INVALID's problems next to their fields", () => {
    const split = problemsByField([
      "text：示例数据中没有变量 foo",
      "subject：模板语法错误（第 1 行）：unexpected end of template",
      "短信过长：612 字（最多 500 字）",
      "邮件需要主题",
      "模板正被他人同时修改，请重试",
    ]);
    expect(split.fields.text).toEqual(["示例数据中没有变量 foo", "短信过长：612 字（最多 500 字）"]);
    expect(split.fields.subject).toEqual(["模板语法错误（第 1 行）：unexpected end of template", "邮件需要主题"]);
    expect(split.other).toEqual(["模板正被他人同时修改，请重试"]);
    expect(problemText("html：示例数据中没有变量 x")).toBe("HTML 正文：示例数据中没有变量 x");
  });

  it("takes sample data only as a JSON object", () => {
    expect(parseSample('{"number": "A1"}')).toEqual({ data: { number: "A1" } });
    expect("error" in parseSample("[1]")).toBe(true);
    expect("error" in parseSample("{oops")).toBe(true);
  });

  it("groups the newest versions by kind, then channel", () => {
    const rows = templateRows([template("notice", "email"), template("ticket_near", "sms"), template("notice", "in_app"), template("ticket_near", "in_app", 3)], KINDS);
    expect(rows.map((r) => `${r.template.kind}/${r.template.channel}`)).toEqual([
      "ticket_near/in_app",
      "ticket_near/sms",
      "notice/in_app",
      "notice/email",
    ]);
    expect(rows.map((r) => r.span)).toEqual([2, 0, 2, 0]);
    expect(rows[0]?.kind?.title).toBe("即将叫号提醒");
  });
});

describe("rules", () => {
  const rule: Rule = {
    ...blankRule("ticket_near"),
    id: "near-sms",
    event_type: "queueing.turn_near",
    recipients: [" {topic} ", "{topic}", "group:supervisors:{hall_id}"],
    channels: ["sms", "in_app"],
    fallback: { sms: "in_app", email: "sms" },
  };

  it("cleans a rule before it is sent", () => {
    expect(cleanRule(rule)).toMatchObject({
      recipients: ["{topic}", "group:supervisors:{hall_id}"],
      channels: ["in_app", "sms"],
      fallback: { sms: "in_app" },
    });
  });

  it("finds what is wrong with a rule", () => {
    expect(ruleProblems(cleanRule(rule), [], true)).toEqual([]);
    expect(ruleProblems(cleanRule(rule), ["near-sms"], true)).toEqual(["规则编号 near-sms 已存在"]);
    const bad = ruleProblems({ ...blankRule(""), id: "Bad Id", recipients: ["alice"], channels: [] }, [], true);
    expect(bad).toHaveLength(5);
    expect(bad.join()).toContain("“alice”");
  });

  it("says the fallbacks", () => {
    expect(fallbackText({ fallback: { sms: "in_app" } })).toBe("短信失败时改用站内消息");
    expect(fallbackText({ fallback: {} })).toBe("");
  });
});

describe("deliveries", () => {
  it("searches with the filters that are set", () => {
    const filters = { ...blankFilters(), recipient: " user:supervisor ", state: "failed" as const };
    const query = deliveryQuery(filters, 3, 20);
    expect(query.skip).toBe(40);
    expect(deliveryParams(query)).toBe("recipient=user%3Asupervisor&state=failed&limit=20&skip=40");
    const ranged = deliveryQuery({ ...blankFilters(), range: [new Date("2026-11-26T00:00:00Z"), new Date("2026-11-27T00:00:00Z")] }, 1, 20);
    expect(deliveryParams(ranged)).toBe("since=2026-11-26T00%3A00%3A00.000Z&until=2026-11-27T00%3A00%3A00.000Z&limit=20");
  });

  it("writes times with seconds in the halls' time zone", () => {
    expect(stamp("2026-11-26T05:18:05.555Z")).toBe("2026-11-26 13:18:05");
    expect(stamp(null)).toBe("—");
  });
});

describe("channel statistics", () => {
  const stats: NotifierStats = {
    since: "2026-11-19T05:00:00Z",
    channels: [
      { channel: "sms", states: { failed: 3, sent: 1 }, success_rate: 0.25 },
      { channel: "in_app", states: { delivered: 4 }, success_rate: 1 },
    ],
  };

  it("has a row per channel with every state", () => {
    const rows = channelRows(stats);
    expect(rows.map((r) => r.label)).toEqual(["站内消息", "短信"]);
    expect(rows[1]).toMatchObject({ total: 4, rate: "25.0%", counts: { failed: 3, sent: 1, delivered: 0, queued: 0, suppressed: 0 } });
  });

  it("draws stacked state bars and the success rate", () => {
    const option = channelChart(stats);
    const series = option.series as { name: string; type: string; data: unknown[] }[];
    expect(series.filter((s) => s.type === "bar")).toHaveLength(5);
    expect(series.find((s) => s.type === "line")?.data).toEqual([100, 25]);
  });
});

describe("contacts", () => {
  it("checks recipient ids and cleans the form", () => {
    expect(isRecipientId("citizen:demo-citizen-001")).toBe(true);
    expect(isRecipientId("user:supervisor")).toBe(true);
    expect(isRecipientId("supervisor")).toBe(false);
    expect(cleanContact({ name: " 张三 ", phone: "", email: "", locale: "", timezone: "", groups: ["a", " a", ""] })).toEqual({
      name: "张三",
      phone: "",
      email: "",
      locale: "zh-CN",
      timezone: "Asia/Shanghai",
      groups: ["a"],
    });
  });

  it("says a contact's preferences", () => {
    expect(optOutText({ ticket_near: ["sms", "email"] }, KINDS)).toBe("即将叫号提醒：短信、邮件");
    expect(optOutText({}, KINDS)).toBe("全部接收");
    expect(quietText({ start: "21:00:00", end: "08:00:00" })).toBe("21:00–08:00");
    expect(quietText(null)).toBe("未设置");
  });
});

describe("sections", () => {
  it("opens the message center's sections from the address", () => {
    expect(sectionFromHash("#dead-letters")).toBe("dead-letters");
    expect(isNotifierSection("templates")).toBe(true);
    expect(isNotifierSection("stats")).toBe(false);
  });
});
