/** A staff screen's inbox: the live list, the drawer's state, and a notification for every
 * message that arrives while the screen is open. */
import type { HubClient } from "@hallhub/client";
import { useInbox, type InboxHandle } from "@hallhub/client/vue";
import { ElNotification } from "element-plus";
import { shallowRef, watch, type ShallowRef } from "vue";
import { api } from "../../hub";
import { isAlert } from "./kinds";

export interface StaffInbox extends InboxHandle {
  /** The drawer with the messages is open. */
  drawer: ShallowRef<boolean>;
}

export function useStaffInbox(client: HubClient): StaffInbox {
  const drawer = shallowRef(false);
  const inbox = useInbox(client, api, {
    limit: 30,
    onMessage: (item) => {
      ElNotification({
        title: item.title,
        message: item.body,
        type: isAlert(item.kind) ? "warning" : "info",
        duration: isAlert(item.kind) ? 8000 : 4500,
        customClass: "inbox-notification",
        offset: 56, // below the header, the bell stays in sight
        onClick: () => {
          drawer.value = true;
        },
      });
    },
  });
  // The drawer shows every message: the pop-ups of the ones it lists are done with.
  watch(drawer, (open) => {
    if (open) ElNotification.closeAll();
  });
  return { ...inbox, drawer };
}
