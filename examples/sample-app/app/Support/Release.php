<?php

namespace App\Support;

/**
 * Which release this code is: the deploy writes it to RELEASE in the release root.
 */
final class Release
{
    // It goes into a response header and log lines, so only these characters are taken.
    private const PATTERN = '/^[A-Za-z0-9._:+-]{1,128}$/';

    /**
     * The first line of <base>/RELEASE, trimmed, when it is a valid id; else the
     * directory's own name (a release checked out by hand, or a development copy).
     */
    public static function detect(string $basePath): string
    {
        $file = $basePath.DIRECTORY_SEPARATOR.'RELEASE';
        if (is_file($file) && is_readable($file)) {
            $content = (string) file_get_contents($file, false, null, 0, 512);
            $line = trim(strtok($content, "\r\n") ?: '');
            if (preg_match(self::PATTERN, $line) === 1) {
                return $line;
            }
        }

        $name = basename($basePath);

        return preg_match(self::PATTERN, $name) === 1 ? $name : 'unknown';
    }
}
