<?php

namespace App\Http\Middleware;

use Illuminate\Foundation\Http\Middleware\VerifyCsrfToken as Middleware;

class VerifyCsrfToken extends Middleware
{
    // Every form, the admin login included, carries the token; nothing is exempt.
    /** @var array<int, string> */
    protected $except = [];
}
