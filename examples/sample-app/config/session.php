<?php

return [

    // file, database (the sessions table), redis, or cookie.
    'driver' => env('SESSION_DRIVER', 'database'),

    'lifetime' => (int) env('SESSION_LIFETIME', 120),

    'expire_on_close' => false,

    'encrypt' => false,

    'files' => storage_path('framework/sessions'),

    // The redis or database connection for the redis and database drivers.
    'connection' => env('SESSION_CONNECTION'),

    'table' => 'sessions',

    'store' => null,

    'lottery' => [2, 100],

    'cookie' => 'deenify_session',

    'path' => '/',

    'domain' => env('SESSION_DOMAIN'),

    // true behind HTTPS (runbook 7: HTTPS is mandatory); the browser then never sends it in clear.
    'secure' => env('SESSION_SECURE_COOKIE'),

    'http_only' => true,

    'same_site' => 'lax',

];
