/** Per-channel delivery counts and success rates as a table and a chart. Pure. */
import type { EChartsOption } from "echarts";
import { t } from "../../i18n";
import { percentText } from "../../staff/format";
import { channelText, stateText } from "./deliveries";
import { CHANNELS, DELIVERY_STATES, type DeliveryState, type NotifierStats } from "./types";

export interface ChannelRow {
  channel: string;
  label: string;
  counts: Record<DeliveryState, number>;
  total: number;
  rate: string;
}

/** One row per channel (known channels first, in their usual order). */
export function channelRows(stats: NotifierStats): ChannelRow[] {
  const rank = (channel: string): number => {
    const index = CHANNELS.indexOf(channel as (typeof CHANNELS)[number]);
    return index < 0 ? CHANNELS.length : index;
  };
  return [...stats.channels]
    .sort((a, b) => rank(a.channel) - rank(b.channel) || a.channel.localeCompare(b.channel))
    .map((row) => {
      const counts = Object.fromEntries(DELIVERY_STATES.map((s) => [s, row.states[s] ?? 0])) as Record<DeliveryState, number>;
      const total = Object.values(row.states).reduce((sum, n) => sum + n, 0);
      return { channel: row.channel, label: channelText(row.channel), counts, total, rate: percentText(row.success_rate) };
    });
}

const STATE_COLORS: Record<DeliveryState, string> = {
  delivered: "#16a34a",
  sent: "#2563eb",
  queued: "#f59e0b",
  suppressed: "#9ca3af",
  failed: "#dc2626",
};

/** State counts per channel (stacked bars) and the success rate (line, right axis, %). */
export function channelChart(stats: NotifierStats): EChartsOption {
  const c = t.admin.notifier.channelStats;
  const rows = channelRows(stats);
  const rateOf = (channel: string): number | null => {
    const rate = stats.channels.find((row) => row.channel === channel)?.success_rate;
    return rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10;
  };
  const order: DeliveryState[] = ["delivered", "sent", "queued", "suppressed", "failed"];
  return {
    color: [...order.map((s) => STATE_COLORS[s]), "#7c3aed"],
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 56, right: 56, top: 40, bottom: 32 },
    xAxis: { type: "category", data: rows.map((r) => r.label) },
    yAxis: [
      { type: "value", name: c.count, minInterval: 1 },
      { type: "value", name: c.successRate, min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } },
    ],
    series: [
      ...order.map((state) => ({
        name: stateText(state),
        type: "bar" as const,
        stack: "states",
        barMaxWidth: 48,
        data: rows.map((r) => r.counts[state]),
      })),
      {
        name: c.successRate,
        type: "line" as const,
        yAxisIndex: 1,
        data: rows.map((r) => rateOf(r.channel)),
        connectNulls: true,
        tooltip: { valueFormatter: (value: unknown) => (typeof value === "number" ? `${value}%` : t.staffUi.empty) },
      },
    ],
  };
}
