/** The video customer service catalog (src/i18n/rtc.zh-CN.ts) as both rtc pages read it. */
import catalog from "../i18n/rtc.zh-CN";

export const rt = catalog.rtc;
