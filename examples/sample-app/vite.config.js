import { defineConfig } from 'vite';

// A plain Vite build (no laravel-vite-plugin): the app reads public/build/manifest.json
// itself, the same way on Laravel 8, 10 and 12.
export default defineConfig({
    // public/ is the web root, not a folder of static files for Vite to copy.
    publicDir: false,
    base: '/build/',
    build: {
        outDir: 'public/build',
        emptyOutDir: true,
        // Vite 5 writes .vite/manifest.json by default; the app and the deploy look here.
        manifest: 'manifest.json',
        rollupOptions: {
            input: ['resources/css/app.css', 'resources/js/app.js'],
        },
    },
});
