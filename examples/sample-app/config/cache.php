<?php

use Illuminate\Support\Str;

return [

    // CACHE_STORE is Laravel 11+'s name, CACHE_DRIVER the older one; either works.
    'default' => env('CACHE_STORE', env('CACHE_DRIVER', 'database')),

    'stores' => [

        'array' => [
            'driver' => 'array',
            'serialize' => false,
        ],

        'database' => [
            'driver' => 'database',
            'connection' => null,
            'table' => 'cache',
            'lock_connection' => null,
            'lock_table' => 'cache_locks',
        ],

        'file' => [
            'driver' => 'file',
            'path' => storage_path('framework/cache/data'),
        ],

        'redis' => [
            'driver' => 'redis',
            'connection' => 'cache',
            'lock_connection' => 'default',
        ],

    ],

    'prefix' => env('CACHE_PREFIX', Str::slug(env('APP_NAME', 'deenify'), '_').'_cache_'),

];
