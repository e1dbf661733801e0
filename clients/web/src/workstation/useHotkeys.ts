/** F1–F10 at the workstation: always kept from the browser (F5 must not reload the page), and
 * ignored while a dialog is open or has the focus. */
import type { CounterStatus } from "@hallhub/client";
import { onBeforeUnmount, onMounted } from "vue";
import { decideKey, type KeyAction } from "./rules";

export interface HotkeyOptions {
  status: () => CounterStatus;
  dialogOpen: () => boolean;
  run: (action: KeyAction) => void;
}

const DIALOG = '[role="dialog"], .el-overlay, .el-popper';

function inDialog(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest(DIALOG) !== null;
}

export function useHotkeys(options: HotkeyOptions): void {
  const onKey = (event: KeyboardEvent): void => {
    const decision = decideKey(event, options.status(), options.dialogOpen() || inDialog(event.target));
    if (!decision.prevent) return;
    event.preventDefault();
    event.stopPropagation();
    if (decision.action !== null) options.run(decision.action);
  };
  onMounted(() => window.addEventListener("keydown", onKey, true));
  onBeforeUnmount(() => window.removeEventListener("keydown", onKey, true));
}
