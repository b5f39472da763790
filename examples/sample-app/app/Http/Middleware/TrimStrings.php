<?php

namespace App\Http\Middleware;

use Illuminate\Foundation\Http\Middleware\TrimStrings as Middleware;

class TrimStrings extends Middleware
{
    // A password's spaces are part of it.
    /** @var array<int, string> */
    protected $except = [
        'password',
    ];
}
