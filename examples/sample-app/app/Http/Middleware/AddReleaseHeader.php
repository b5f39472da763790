<?php

namespace App\Http\Middleware;

use Closure;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;

/**
 * X-Deenify-Release on every response, so that a deploy test, a load balancer log or a
 * curl by hand tells which release answered. The outermost global middleware: errors
 * rendered further in pass back through it.
 */
class AddReleaseHeader
{
    public const HEADER = 'X-Deenify-Release';

    public function handle(Request $request, Closure $next): Response
    {
        $response = $next($request);
        $response->headers->set(self::HEADER, (string) config('app.release'));

        return $response;
    }
}
