<?php

namespace App\Support;

use Illuminate\Support\HtmlString;

/**
 * The <link> and <script> tags for Vite's entries, read from public/build/manifest.json.
 * Laravel 10 and 12 have @vite for this; Laravel 8 does not, so the app reads the
 * manifest itself and behaves the same everywhere.
 */
final class ViteAssets
{
    /** @var array<string, array<string, mixed>>|null */
    private static ?array $manifest = null;

    public static function tags(string ...$entries): HtmlString
    {
        $manifest = self::manifest();
        if ($manifest === null) {
            // The page still works unstyled; the comment tells whoever views the source why.
            return new HtmlString('<!-- public/build/manifest.json is missing: run npm run build -->');
        }

        $tags = [];
        foreach ($entries as $entry) {
            $chunk = $manifest[$entry] ?? null;
            if (! is_array($chunk) || ! isset($chunk['file'])) {
                $tags[] = '<!-- not in the Vite manifest: '.e($entry).' -->';
                continue;
            }
            foreach ($chunk['css'] ?? [] as $css) {
                $tags[$css] = self::stylesheet($css);
            }
            $file = (string) $chunk['file'];
            $tags[$file] = str_ends_with($file, '.css')
                ? self::stylesheet($file)
                : '<script type="module" src="'.e(asset('build/'.$file)).'"></script>';
        }

        return new HtmlString(implode("\n", $tags));
    }

    private static function stylesheet(string $file): string
    {
        return '<link rel="stylesheet" href="'.e(asset('build/'.$file)).'">';
    }

    /**
     * @return array<string, array<string, mixed>>|null
     */
    private static function manifest(): ?array
    {
        if (self::$manifest === null) {
            $path = public_path('build'.DIRECTORY_SEPARATOR.'manifest.json');
            if (! is_file($path)) {
                return null;
            }
            $decoded = json_decode((string) file_get_contents($path), true);
            self::$manifest = is_array($decoded) ? $decoded : [];
        }

        return self::$manifest;
    }
}
