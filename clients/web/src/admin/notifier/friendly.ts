/** A message template as hall staff read and write it: 「请{号码}号到{窗口名称}办理」 rather than
 * Jinja's 「请{{ number }}号到{{ counter_name }}办理」. A template with no more than plain
 * variables goes back and forth between the two; one with conditions or formats ({% if %},
 * `|round`) is edited in the 高级 (advanced) editor and only read here. Pure. */
import { t } from "../../i18n";

const LABELS: Readonly<Record<string, string>> = t.admin.notifier.variables;
const BY_LABEL: ReadonlyMap<string, string> = new Map(Object.entries(LABELS).map(([name, label]) => [label, name]));

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)((?:\s*\|\s*[A-Za-z_][A-Za-z0-9_]*(?:\([^)]*\))?)*)\s*\}\}/g;
const BLOCK = /\{%-?\s*(\w+)([^%]*?)-?%\}/g;
const PLAIN_LABEL = /\{([^{}\s]{1,12})\}/g;

/** The name a variable is shown by ("号码"), or null when it has none. */
export function variableLabel(name: string): string | null {
  return LABELS[name] ?? null;
}

/** Whether the template can be edited in the plain form: only variables with a label, no
 * formats, no {% %} blocks, no comments. */
export function plainEditable(text: string): boolean {
  if (text.includes("{%") || text.includes("{#")) return false;
  for (const match of text.matchAll(VARIABLE)) {
    if (match[2]?.trim() || variableLabel(match[1] ?? "") === null) return false;
  }
  // Every {{ … }} is a plain variable (nothing the pattern above did not read).
  return !text.replace(VARIABLE, "").includes("{{");
}

/** The plain form: every variable by its name in braces ({号码}). */
export function toPlain(text: string): string {
  return text.replace(VARIABLE, (whole, name: string) => {
    const label = variableLabel(name);
    return label === null ? whole : `{${label}}`;
  });
}

/** Back to the template: {号码} → {{ number }}; braces around anything else stay as typed. */
export function fromPlain(text: string): string {
  return text.replace(PLAIN_LABEL, (whole, label: string) => {
    const name = BY_LABEL.get(label);
    return name === undefined ? whole : `{{ ${name} }}`;
  });
}

/** How the list shows any template: variables by name (formats left out), conditions said in
 * words: 「已记爽约一次。（视情况：再次爽约将暂停预约资格。）」. */
export function readable(text: string): string {
  const f = t.admin.notifier.friendly;
  const blocks = text.replace(BLOCK, (_whole, tag: string) => {
    if (tag === "if") return f.ifOpen;
    if (tag === "elif" || tag === "else") return f.otherwise;
    if (tag === "endif") return f.ifClose;
    return "";
  });
  return blocks.replace(VARIABLE, (whole, name: string) => {
    const label = variableLabel(name);
    return label === null ? whole : `{${label}}`;
  });
}

/** The variables a kind's messages can use (its sample's fields), with their names. */
export function variablesOf(sample: Record<string, unknown>): { name: string; label: string }[] {
  return Object.keys(sample)
    .map((name) => ({ name, label: variableLabel(name) }))
    .filter((v): v is { name: string; label: string } => v.label !== null);
}
