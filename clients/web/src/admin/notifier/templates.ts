/** Templates as the back office lists and edits them. Pure. */
import { fmt } from "@hallhub/client";
import { t } from "../../i18n";
import { CHANNELS, type Channel, type Kind, type Template, type TemplateDraft } from "./types";

export type TemplateField = "subject" | "text" | "html";

/** The parts a channel's template has: SMS only a text, in-app a title too, e-mail all. */
export function fieldsOf(channel: Channel): TemplateField[] {
  if (channel === "sms") return ["text"];
  if (channel === "in_app") return ["subject", "text"];
  return ["subject", "text", "html"];
}

export interface FieldProblems {
  fields: Record<TemplateField, string[]>;
  /** Problems of the template as a whole. */
  other: string[];
}

const FIELD_PREFIX = /^(subject|text|html)[：:]\s*/;

/** TEMPLATE_INVALID's `details.problems` ("text：示例数据中没有变量 foo") by the field they are
 * about; the field's name is left off. */
export function problemsByField(problems: readonly string[]): FieldProblems {
  const out: FieldProblems = { fields: { subject: [], text: [], html: [] }, other: [] };
  for (const problem of problems) {
    const match = FIELD_PREFIX.exec(problem);
    const field = match?.[1] as TemplateField | undefined;
    if (field !== undefined && match !== null) out.fields[field].push(problem.slice(match[0].length));
    else if (problem.startsWith("短信")) out.fields.text.push(problem);
    else if (problem.startsWith("邮件需要主题")) out.fields.subject.push(problem);
    else out.other.push(problem);
  }
  return out;
}

/** A problem as the summary lists it: the field named as people know it ("正文：…"). */
export function problemText(problem: string): string {
  return problem.replace(FIELD_PREFIX, (_whole, field: string) => `${t.admin.notifier.templates.fields[field] ?? field}：`);
}

/** The problems of a refused preview or save, if that is what the error is. */
export function templateProblems(details: Record<string, unknown> | undefined): string[] | null {
  const problems = details?.problems;
  return Array.isArray(problems) ? problems.map(String) : null;
}

/** Sample data typed as JSON: an object, or why not. */
export function parseSample(json: string): { data: Record<string, unknown> } | { error: string } {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return { data: value as Record<string, unknown> };
    }
  } catch {
    // not JSON at all
  }
  return { error: t.admin.notifier.templates.sampleBad };
}

export function sampleJson(data: Record<string, unknown>): string {
  return JSON.stringify(data, null, 2);
}

export function draftOf(template: Template): TemplateDraft {
  const { kind, channel, locale, subject, text, html } = template;
  return { kind, channel, locale, subject, text, html };
}

export function blankDraft(kind: string, channel: Channel): TemplateDraft {
  return { kind, channel, locale: "zh-CN", subject: "", text: "", html: "" };
}

/** Only the parts the channel uses (a leftover HTML part of an SMS would be refused). */
export function cleanDraft(draft: TemplateDraft): TemplateDraft {
  const used = new Set(fieldsOf(draft.channel));
  return {
    ...draft,
    subject: used.has("subject") ? draft.subject : "",
    html: used.has("html") ? draft.html : "",
  };
}

export interface TemplateRow {
  template: Template;
  kind: Kind | null;
  /** Rows of this kind, on its first row (0 on the others): the kind's cell spans them. */
  span: number;
}

/** The newest versions, grouped by kind (in the kinds' order), then by channel. */
export function templateRows(templates: readonly Template[], kinds: readonly Kind[]): TemplateRow[] {
  const order = new Map(kinds.map((kind, index) => [kind.id, index]));
  const rank = (kind: string): number => order.get(kind) ?? kinds.length;
  const sorted = [...templates].sort(
    (a, b) =>
      rank(a.kind) - rank(b.kind) ||
      a.kind.localeCompare(b.kind) ||
      CHANNELS.indexOf(a.channel) - CHANNELS.indexOf(b.channel) ||
      a.locale.localeCompare(b.locale),
  );
  return sorted.map((template, index) => {
    const first = index === 0 || sorted[index - 1]?.kind !== template.kind;
    const span = first ? sorted.filter((other) => other.kind === template.kind).length : 0;
    return { template, kind: kinds.find((k) => k.id === template.kind) ?? null, span };
  });
}

/** Who saved a version, by name: 系统预置 for the starting templates, never an account id. */
export function authorText(template: Pick<Template, "created_by" | "created_by_name">): string {
  const s = t.admin.notifier.templates;
  if (template.created_by === "defaults") return s.systemDefault;
  return template.created_by_name ? fmt(s.by, { who: template.created_by_name }) : s.byUnknown;
}

/** True when the kind already has a template on the channel (in zh-CN). */
export function hasTemplate(templates: readonly Template[], kind: string, channel: Channel): boolean {
  return templates.some((tpl) => tpl.kind === kind && tpl.channel === channel && tpl.locale === "zh-CN");
}
