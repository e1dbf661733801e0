/** The citizen's camera and microphone. */

/** Why the camera or microphone could not be used. */
export type MediaProblem = "denied" | "missing" | "busy" | "unsupported" | "other";

/** A getUserMedia failure as something to tell the person. */
export function mediaProblemOf(error: unknown): MediaProblem {
  const name = typeof error === "object" && error !== null && "name" in error ? String((error as { name: unknown }).name) : "";
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "busy";
    case "TypeError":
      return "unsupported";
    default:
      return "other";
  }
}

export type MediaWanted = "audio-video" | "audio";

const VIDEO: MediaTrackConstraints = {
  facingMode: "user",
  width: { ideal: 640 },
  height: { ideal: 480 },
  frameRate: { ideal: 24, max: 30 },
};

const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** The camera and microphone (or the microphone alone); throws the browser's error. */
export async function openMedia(wanted: MediaWanted): Promise<MediaStream> {
  const devices = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
  if (!devices || typeof devices.getUserMedia !== "function") {
    // Not a secure page (http:// on a LAN address), or a very old browser.
    throw Object.assign(new Error("getUserMedia unavailable"), { name: "TypeError" });
  }
  return devices.getUserMedia(wanted === "audio" ? { audio: AUDIO } : { audio: AUDIO, video: VIDEO });
}

export function stopMedia(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
