/** The library's own messages (zh-CN), for errors the client makes itself. Apps may show
 * their own text for a code instead; the hub's messages come with its answers. */
export const MESSAGES = {
  OFFLINE: "未连接到服务器，请稍候重试",
  TIMEOUT: "请求超时，请重试",
  NETWORK: "网络错误，无法连接服务器",
  BAD_RESPONSE: "服务器应答格式错误",
  HTTP_ERROR: "服务器错误（HTTP {status}）",
} as const;

export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole,
  );
}
