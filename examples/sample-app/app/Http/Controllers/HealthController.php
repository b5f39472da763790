<?php

namespace App\Http\Controllers;

use Illuminate\Database\QueryException;
use Illuminate\Http\JsonResponse;
use Illuminate\Support\Facades\Cache;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Log;
use Illuminate\Support\Facades\Queue;
use Illuminate\Support\Str;
use RuntimeException;
use Throwable;

/**
 * GET /up: what a load balancer and the deploy's health gate ask before sending traffic.
 * 200 only when the database, the cache and the queue connection all answer.
 */
class HealthController extends Controller
{
    public function __invoke(): JsonResponse
    {
        $checks = [
            'database' => static function (): void {
                DB::connection()->select('select 1');
            },
            'cache' => static function (): void {
                $key = 'deenify:health:'.Str::random(16);
                $token = Str::random(16);
                Cache::put($key, $token, 60);
                $read = Cache::get($key);
                Cache::forget($key);
                if ($read !== $token) {
                    throw new RuntimeException('the value read back differs from the one written');
                }
            },
            'queue' => static function (): void {
                Queue::connection()->size();
            },
        ];

        $results = [];
        foreach ($checks as $name => $check) {
            try {
                $check();
                $results[$name] = 'ok';
            } catch (Throwable $e) {
                $results[$name] = 'failed: '.self::reason($e);
                Log::warning("health check {$name} {$results[$name]}");
            }
        }

        $healthy = ! array_filter($results, static fn (string $result): bool => $result !== 'ok');

        return new JsonResponse(
            ['status' => $healthy ? 'ok' : 'failed', 'release' => config('app.release'), 'checks' => $results],
            $healthy ? 200 : 503,
            ['Cache-Control' => 'no-store'],
            JSON_UNESCAPED_SLASHES
        );
    }

    /**
     * What went wrong in a few words, for whoever reads /up: the driver's own message
     * without the SQL, the connection name or anything shaped like a DSN or a password.
     */
    private static function reason(Throwable $e): string
    {
        if ($e instanceof QueryException && $e->getPrevious() !== null) {
            $e = $e->getPrevious();
        }

        $message = trim((string) strtok($e->getMessage()."\n", "\r\n"));
        // Laravel appends " (SQL: ...)" (8) or " (Connection: ..., SQL: ...)" (10+).
        $message = (string) preg_replace('/\s*\((?:Connection|SQL):.*$/s', '', $message);
        $message = (string) preg_replace('~\b[a-z][a-z0-9+.-]*://\S+~i', '<address>', $message);
        $message = (string) preg_replace('~\b(mysql|pgsql|sqlite|redis):\S+~i', '<dsn>', $message);
        $message = (string) preg_replace('/\b(password|passwd|pwd|pass)\s*=\s*\S+/i', '$1=<hidden>', $message);

        return Str::limit(class_basename($e).': '.$message, 160);
    }
}
