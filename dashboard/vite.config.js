import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// Served under /dashboard/ on the API's own origin (the dev server locally, CloudFront in AWS).
export default defineConfig({
  base: "/dashboard/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The strict CSP allows no inline script: keep Vite from inlining its preload helper.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
