/** A live preview of a template being edited: rendered by the hub with the sample data a
 * moment after each change; TEMPLATE_INVALID's problems instead when it cannot be. */
import { toHubError, type HubError } from "@hallhub/client";
import { onScopeDispose, shallowRef, watch, type Ref, type ShallowRef } from "vue";
import { previewTemplate } from "./api";
import { cleanDraft, parseSample, templateProblems } from "./templates";
import type { Preview, TemplateDraft } from "./types";

const DELAY_MS = 350;

export interface TemplatePreviewState {
  preview: ShallowRef<Preview | null>;
  /** TEMPLATE_INVALID's `details.problems` of the last preview (or save). */
  problems: ShallowRef<string[]>;
  /** Why the sample data cannot be used, or "". */
  sampleError: ShallowRef<string>;
  /** Another failure (the hub unreachable, an unknown kind). */
  error: ShallowRef<HubError | null>;
  busy: ShallowRef<boolean>;
  /** The preview shown is of an earlier version of the form. */
  stale: ShallowRef<boolean>;
  refresh: () => Promise<void>;
  clear: () => void;
}

export function useTemplatePreview(draft: Ref<TemplateDraft | null>, sample: Ref<string>): TemplatePreviewState {
  const preview = shallowRef<Preview | null>(null);
  const problems = shallowRef<string[]>([]);
  const sampleError = shallowRef("");
  const error = shallowRef<HubError | null>(null);
  const busy = shallowRef(false);
  const stale = shallowRef(false);
  let run = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const refresh = async (): Promise<void> => {
    const current = draft.value;
    const id = ++run;
    if (current === null || !current.text.trim()) {
      preview.value = null;
      problems.value = [];
      stale.value = false;
      return;
    }
    const parsed = parseSample(sample.value);
    if ("error" in parsed) {
      sampleError.value = parsed.error;
      stale.value = true;
      return;
    }
    sampleError.value = "";
    busy.value = true;
    try {
      const answer = await previewTemplate(cleanDraft(current), parsed.data);
      if (id !== run) return;
      preview.value = answer;
      problems.value = [];
      error.value = null;
      stale.value = false;
    } catch (thrown) {
      if (id !== run) return;
      const failure = toHubError(thrown);
      const found = failure.code === "TEMPLATE_INVALID" ? templateProblems(failure.details) : null;
      problems.value = found ?? [];
      error.value = found ? null : failure;
      stale.value = true;
    } finally {
      if (id === run) busy.value = false;
    }
  };

  const cancel = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };

  watch([draft, sample], () => {
    cancel();
    timer = setTimeout(() => void refresh(), DELAY_MS);
  });
  onScopeDispose(cancel);

  return {
    preview,
    problems,
    sampleError,
    error,
    busy,
    stale,
    refresh,
    clear: () => {
      cancel();
      run += 1;
      preview.value = null;
      problems.value = [];
      sampleError.value = "";
      error.value = null;
      busy.value = false;
      stale.value = false;
    },
  };
}
