import { defineConfig } from "vite";

// Relative asset paths: the host serves the editor at httpAdminRoot, which may be "/" or "/admin/".
// Assets go under "editor-assets/", not Vite's default "assets/": the admin API's GET /assets/:tag (industrial asset
// registry) shares httpAdminRoot and would answer for them.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1000, assetsDir: "editor-assets" },
});
