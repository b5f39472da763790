<?php

namespace App\Http\Middleware;

use Illuminate\Http\Middleware\TrustProxies as Middleware;
use Illuminate\Http\Request;

/**
 * Believe X-Forwarded-* only from the load balancers in TRUSTED_PROXIES, so that
 * $request->ip() (the admin login log, fail2ban) is the client, not the balancer.
 *
 * Illuminate\Http\Middleware\TrustProxies is in the framework that Debian packages for
 * both releases (8.83 and 10.48) and in Laravel 12; Debian ships no fideloper/proxy.
 */
class TrustProxies extends Middleware
{
    // Laravel 8.83 maps any combination it does not list to its default, which has the
    // same bits (AWS_ELB is FOR | PORT | PROTO); 10 and 12 use this value as it is.
    protected $headers = Request::HEADER_X_FORWARDED_FOR
        | Request::HEADER_X_FORWARDED_HOST
        | Request::HEADER_X_FORWARDED_PORT
        | Request::HEADER_X_FORWARDED_PROTO;

    /**
     * @return array<int, string>|string|null
     */
    protected function proxies()
    {
        $configured = trim((string) config('app.trusted_proxies'));
        if ($configured === '') {
            return null;
        }
        if ($configured === '*') {
            return '*';
        }

        return array_values(array_filter(array_map('trim', explode(',', $configured))));
    }
}
