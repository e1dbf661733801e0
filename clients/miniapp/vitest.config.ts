import { defineConfig } from "vitest/config";

// Unit tests of the app's pure parts (no browser, no hub).
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
  },
});
