/** Send a delivery again, once the user confirms. */
import { fmt } from "@hallhub/client";
import { ElMessage, ElMessageBox } from "element-plus";
import { t } from "../../i18n";
import { resendDelivery } from "./api";
import { channelText } from "./deliveries";
import type { Delivery } from "./types";

/** The new delivery, or null when the user changed their mind. Rejects with a HubError. */
export async function confirmResend(delivery: Delivery): Promise<Delivery | null> {
  const m = t.admin.notifier.messages;
  const confirmed = await ElMessageBox.confirm(fmt(m.confirmResend, { channel: channelText(delivery.channel) }), t.admin.confirmTitle, {
    type: "info",
    confirmButtonText: m.resend,
    cancelButtonText: t.admin.cancel,
  })
    .then(() => true)
    .catch(() => false);
  if (!confirmed) return null;
  const copy = await resendDelivery(delivery.id);
  ElMessage.success(m.resent);
  return copy;
}
