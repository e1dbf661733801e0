/** What the call screen says about recording: the hub's recording state, and whether our own
 * link to the recorder works. */
import type { RecorderState } from "./media";
import { rt } from "./text";
import type { Recording } from "./types";

export interface RecordingLabel {
  state: string;
  text: string;
  tone: "success" | "info" | "warning" | "danger";
}

export function recordingLabel(recording: Recording | null, link: RecorderState): RecordingLabel {
  if (link === "busy" || recording?.state === "refused") {
    return { state: "refused", text: rt.recording.busy, tone: "info" };
  }
  if (recording === null) return { state: "none", text: rt.recording.pending, tone: "info" };
  if (recording.state === "recording") {
    if (link === "failed") return { state: "recording", text: rt.recording.linkDown, tone: "warning" };
    return { state: "recording", text: rt.recording.recording, tone: "danger" };
  }
  return { state: recording.state, text: rt.recording[recording.state], tone: recording.state === "failed" ? "warning" : "success" };
}
