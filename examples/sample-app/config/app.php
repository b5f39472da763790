<?php

use App\Support\Release;

return [

    'name' => env('APP_NAME', 'Deenify'),

    // production, staging or local; production makes artisan ask before destructive commands.
    'env' => env('APP_ENV', 'production'),

    // Never true in production: error pages would show configuration and queries.
    'debug' => (bool) env('APP_DEBUG', false),

    'url' => env('APP_URL', 'http://localhost'),

    'timezone' => 'UTC',

    'locale' => 'en',

    'fallback_locale' => 'en',

    'key' => env('APP_KEY'),

    'cipher' => 'AES-256-CBC',

    // The deploy's RELEASE file, else the release directory's name. Read here, so that
    // `php artisan config:cache` fixes it for the release it runs in.
    'release' => Release::detect(base_path()),

    // Load balancers whose X-Forwarded-* headers are believed: addresses or CIDR ranges,
    // comma-separated, or * for whatever connects. Empty: no proxy is trusted.
    'trusted_proxies' => env('TRUSTED_PROXIES', ''),

    // Listed one by one: Laravel 8 has no default provider list to merge with.
    'providers' => [
        Illuminate\Auth\AuthServiceProvider::class,
        Illuminate\Bus\BusServiceProvider::class,
        Illuminate\Cache\CacheServiceProvider::class,
        Illuminate\Foundation\Providers\ConsoleSupportServiceProvider::class,
        Illuminate\Cookie\CookieServiceProvider::class,
        Illuminate\Database\DatabaseServiceProvider::class,
        Illuminate\Encryption\EncryptionServiceProvider::class,
        Illuminate\Filesystem\FilesystemServiceProvider::class,
        Illuminate\Foundation\Providers\FoundationServiceProvider::class,
        Illuminate\Hashing\HashServiceProvider::class,
        Illuminate\Pagination\PaginationServiceProvider::class,
        Illuminate\Pipeline\PipelineServiceProvider::class,
        Illuminate\Queue\QueueServiceProvider::class,
        Illuminate\Redis\RedisServiceProvider::class,
        Illuminate\Session\SessionServiceProvider::class,
        Illuminate\Translation\TranslationServiceProvider::class,
        Illuminate\Validation\ValidationServiceProvider::class,
        Illuminate\View\ViewServiceProvider::class,

        App\Providers\AppServiceProvider::class,
        App\Providers\RouteServiceProvider::class,
    ],

    'aliases' => [],

];
