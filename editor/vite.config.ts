import { defineConfig } from "vite";

// Relative asset paths: the host serves the editor at httpAdminRoot, which may be "/" or "/admin/".
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
