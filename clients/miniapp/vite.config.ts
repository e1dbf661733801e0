import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

// `npm run dev` proxies the hub (default: a local `hallhub demo --port 8080`).
const hub = process.env.HALLHUB_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/m/",
  plugins: [vue()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
  },
  server: {
    proxy: {
      "/api": hub,
      "/socket.io": { target: hub, ws: true },
    },
  },
});
