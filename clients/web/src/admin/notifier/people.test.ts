import { describe, expect, it } from "vitest";
import { reasonText, sourceText } from "./deliveries";
import { fromPlain, plainEditable, readable, toPlain, variablesOf } from "./friendly";
import { groupText, patternText, recipientName } from "./people";
import { eventLabel, ruleIdFor } from "./rules";
import { authorText } from "./templates";

/** Text hall staff read: no ids, no English words (CSV and the like excepted elsewhere). */
const noEnglish = (text: string): void => expect(text).not.toMatch(/[A-Za-z]{3,}/);

describe("people as hall staff know them", () => {
  it("names recipients, never citizen:… or user:…", () => {
    const names = { "citizen:c-9": "张三", "user:clerk01": "王芳" };
    expect(recipientName("citizen:c-9", names)).toBe("张三");
    expect(recipientName("user:clerk01", names)).toBe("王芳");
    expect(recipientName("citizen:c-10", names)).toBe("市民（未登记姓名）");
    expect(recipientName("user:x", names)).toBe("工作人员（未登记姓名）");
    expect(recipientName("group:video-supervisors", names)).toBe("视频客服主管");
  });

  it("says what a rule's recipients and groups mean", () => {
    expect(patternText("{topic}")).toBe("办事市民本人");
    expect(patternText("group:supervisors:{hall_id}")).toBe("本大厅主管");
    expect(patternText("group:video-supervisors")).toBe("视频客服主管");
    for (const pattern of ["{topic}", "group:supervisors:{hall_id}", "citizen:{citizen_id}"]) noEnglish(patternText(pattern));
    expect(groupText("supervisors:xc-01", { "xc-01": "西城区政务服务中心" })).toBe("西城区政务服务中心主管");
    expect(groupText("supervisors:xc-02")).toBe("大厅主管");
  });

  it("names every event the starting rules use, and who saved a template", () => {
    for (const type of [
      "queueing.turn_near",
      "queueing.ticket_called",
      "queueing.counter_paused",
      "queueing.wait_exceeded",
      "appointments.appointment_booked",
      "appointments.no_show_recorded",
      "appointments.person_blacklisted",
      "rtc.callback_requested",
    ]) {
      noEnglish(eventLabel(type));
    }
    expect(eventLabel("made.up_event")).toBe("其他事件");
    expect(authorText({ created_by: "defaults", created_by_name: "" })).toBe("系统预置");
    expect(authorText({ created_by: "admin", created_by_name: "系统管理员" })).toBe("系统管理员 修改");
    noEnglish(authorText({ created_by: "admin", created_by_name: "" }));
  });

  it("names a new rule by its kind", () => {
    expect(ruleIdFor("ticket_called", [])).toBe("ticket-called");
    expect(ruleIdFor("ticket_called", ["ticket-called", "ticket-called-2"])).toBe("ticket-called-3");
  });

  it("says why a delivery is as it is, without ids or a provider's English", () => {
    expect(reasonText({ reason: "重发自 9f8e7d", receipt: "" })).toBe("重新发送的消息");
    expect(reasonText({ reason: "The 'To' number is not a valid phone number.", receipt: "" })).toBe("发送渠道返回错误，详见投递记录");
    expect(reasonText({ reason: "", receipt: "delivered" })).toBe("对方已收到");
    expect(reasonText({ reason: "免打扰时段", receipt: "" })).toBe("免打扰时段");
    expect(sourceText("event:abc")).toBe("发送规则（业务事件）");
  });
});

describe("templates in plain words", () => {
  it("goes back and forth between {号码} and {{ number }}", () => {
    const jinja = "请{{ number }}号到{{counter_name}}办理";
    expect(plainEditable(jinja)).toBe(true);
    expect(toPlain(jinja)).toBe("请{号码}号到{窗口名称}办理");
    expect(fromPlain("请{号码}号到{窗口名称}办理")).toBe("请{{ number }}号到{{ counter_name }}办理");
    expect(fromPlain("【政务服务】{号码}{不认识}")).toBe("【政务服务】{{ number }}{不认识}");
  });

  it("leaves conditions and formats to the advanced editor, and reads them in words", () => {
    expect(plainEditable("预计 {{ estimate_minutes|round|int }} 分钟")).toBe(false);
    expect(plainEditable("{% if warning %}再次爽约将暂停预约资格。{% endif %}")).toBe(false);
    expect(plainEditable("{{ mystery }}")).toBe(false);
    expect(readable("已记爽约一次。{% if warning %}再次爽约将暂停预约资格。{% endif %}")).toBe(
      "已记爽约一次。（视情况：再次爽约将暂停预约资格。）",
    );
    expect(readable("约 {{ estimate_minutes|round|int }} 分钟")).toBe("约 {预计等候分钟} 分钟");
    expect(variablesOf({ number: "A1", counter_name: "1号窗口", hall_id: "x" }).map((v) => v.label)).toEqual(["号码", "窗口名称"]);
  });
});
