<?php

namespace App\Http\Middleware;

use Closure;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;

/**
 * Only administrators may log in, but an account can lose the flag while its session lives.
 */
class EnsureAdmin
{
    public function handle(Request $request, Closure $next): Response
    {
        abort_unless($request->user() !== null && $request->user()->is_admin, 403);

        return $next($request);
    }
}
