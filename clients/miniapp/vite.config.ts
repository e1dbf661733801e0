import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
// Every top-level HTML file is a page of the H5 app.
const pages = Object.fromEntries(
  readdirSync(root)
    .filter((name) => name.endsWith(".html"))
    .map((name) => [name.replace(/\.html$/, ""), root + name]),
);

// `npm run dev` proxies the hub (default: a local `hallhub demo --port 8080`).
const hub = process.env.HALLHUB_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/m/",
  plugins: [vue()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    rolldownOptions: { input: pages },
  },
  server: {
    proxy: {
      "/api": hub,
      "/socket.io": { target: hub, ws: true },
    },
  },
});
