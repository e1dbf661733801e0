import { defineConfig } from "vitest/config";

// Unit tests of the web app's pure logic (rules, formats, report builders), next to the code.
export default defineConfig({
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
