import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
// Every top-level HTML file is a page of the multi-page app.
const pages = Object.fromEntries(
  readdirSync(root)
    .filter((name) => name.endsWith(".html"))
    .map((name) => [name.replace(/\.html$/, ""), root + name]),
);

// `npm run dev` proxies the hub (default: a local `hallhub demo --port 8080`).
const hub = process.env.HALLHUB_URL ?? "http://127.0.0.1:8080";

const VENDOR = /[\\/](node_modules[\\/](@vue|vue|socket\.io-client|engine\.io-client|engine\.io-parser|@socket\.io)|shared[\\/]src)[\\/]/;

export default defineConfig({
  base: "/web/",
  plugins: [vue()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    rolldownOptions: {
      input: pages,
      output: {
        // Vue, socket.io and the hub client, shared by every page and cached across them.
        codeSplitting: { groups: [{ name: "vendor", test: VENDOR }] },
      },
    },
  },
  server: {
    proxy: {
      "/api": hub,
      "/socket.io": { target: hub, ws: true },
    },
  },
});
