<?php

namespace App\Support;

use Illuminate\Support\Carbon;
use RuntimeException;

/**
 * One-line event logs under storage/logs that tools read line by line (fail2ban, tests,
 * an operator's grep): "<ISO-8601 time> <message>", written whole with one append.
 */
final class EventLog
{
    // Longer values (a crafted login name) are cut, so one request cannot bloat the log.
    private const MAX_VALUE_BYTES = 254;

    /**
     * Appends "<time> <message>" to storage/logs/<name>.log and returns the line.
     */
    public static function append(string $name, string $message): string
    {
        $line = Carbon::now()->toIso8601String().' '.$message;
        $directory = storage_path('logs');
        if (! is_dir($directory)) {
            // A new shared storage may lack it; another process may create it at the same time.
            @mkdir($directory, 0775, true);
        }
        $path = $directory.DIRECTORY_SEPARATOR.$name.'.log';

        // LOCK_EX: php-fpm, workers and the scheduler may append to the same file at once.
        if (@file_put_contents($path, $line."\n", FILE_APPEND | LOCK_EX) === false) {
            throw new RuntimeException("Cannot append to {$path}: check that storage/logs is writable");
        }

        return $line;
    }

    /**
     * A double-quoted value that cannot end the field or the line early: a backslash and a
     * double quote get a backslash before them, and every byte outside printable ASCII
     * becomes \xNN, so neither a newline nor a forged "ip=" can leave the quotes.
     */
    public static function quote(string $value): string
    {
        $value = substr($value, 0, self::MAX_VALUE_BYTES);
        $escaped = preg_replace_callback(
            '/[^\x20-\x7e]|["\\\\]/',
            static function (array $match): string {
                $char = $match[0];

                return ($char === '"' || $char === '\\') ? '\\'.$char : sprintf('\\x%02x', ord($char));
            },
            $value
        );

        return '"'.$escaped.'"';
    }
}
