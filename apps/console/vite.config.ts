// `npm run dev`: Vite's dev server on http://localhost:5173 (a redirect URI the development
// issuer registers for `alpr-ui` by default), passing /api/... on to a running gateway
// (`make run`; ALPR_GATEWAY=http://127.0.0.1:<port> when ALPR_DEV_PORT_OFFSET moves it), so the
// console still calls one origin. `npm run build` writes dist/, which the gateway serves itself.
import { defineConfig, loadEnv } from "vite";

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, ".", "ALPR_");
  return {
    build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
    server: {
      port: 5173,
      strictPort: true,
      proxy: { "/api": { target: env.ALPR_GATEWAY ?? "http://127.0.0.1:8080" } },
    },
  };
});
