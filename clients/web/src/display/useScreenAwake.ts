/** Keeps a display's screen from dimming or sleeping while the page is shown (Screen Wake Lock;
 * taken again whenever the page becomes visible). Browsers offer it only over https or on
 * localhost; elsewhere the device's own power settings must keep it on (docs/devices.md). */
import { useWakeLock } from "@vueuse/core";
import { onMounted } from "vue";

export function useScreenAwake(): void {
  const lock = useWakeLock();
  onMounted(() => {
    if (!lock.isSupported.value) return;
    lock.request("screen").catch(() => undefined); // refused (battery saver, policy): nothing to do
  });
}
