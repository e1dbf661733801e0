// The TypeScript types of every event's data, from the hub's models: reads the JSON Schema
// `hallhub events-schema` prints (stdin), writes src/events.generated.ts (stdout).
//   .venv/bin/hallhub events-schema | node clients/shared/scripts/gen-events.mjs > clients/shared/src/events.generated.ts
// tests/hub/test_event_types.py fails when the committed file is behind the models.
import { compile } from "json-schema-to-typescript";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const schema = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const banner = [
  "/* Generated from the hub's event models (hub/events/types.py): do not edit.",
  " * Regenerate: .venv/bin/hallhub events-schema | node clients/shared/scripts/gen-events.mjs",
  " *   > clients/shared/src/events.generated.ts */",
].join("\n");
const ts = await compile(schema, "EventData", {
  bannerComment: banner,
  additionalProperties: false,
  unreachableDefinitions: true,
  strictIndexSignatures: true,
  format: true,
});
const typeNames = Object.keys(schema.properties);
process.stdout.write(
  ts +
    "\n/** Every event type the hub publishes. */\n" +
    `export type EventType = keyof EventData;\n` +
    `export const EVENT_TYPES: readonly EventType[] = ${JSON.stringify(typeNames)};\n`,
);
