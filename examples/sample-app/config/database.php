<?php

use Illuminate\Support\Str;

$redisPassword = env('REDIS_PASSWORD');
// A Redis ACL user (Redis 6+) authenticates with [user, password]. Laravel 8's phpredis
// connector passes the password to AUTH as it is and knows no username key; 10 and 12
// pass an array on unchanged, so this form works on all three.
$redisAuth = ($redisPassword !== null && $redisPassword !== '' && (string) env('REDIS_USERNAME', '') !== '')
    ? [env('REDIS_USERNAME'), $redisPassword]
    : $redisPassword;

$redisConnection = static fn (string $database): array => [
    'host' => env('REDIS_HOST', '127.0.0.1'),
    'password' => $redisAuth,
    'port' => env('REDIS_PORT', '6379'),
    'database' => $database,
    // Seconds to connect; /up should answer "cache: failed" quickly, not hang.
    'timeout' => (float) env('REDIS_TIMEOUT', 2),
    'read_timeout' => (float) env('REDIS_READ_TIMEOUT', 5),
];

return [

    // MariaDB uses the mysql driver here (Laravel 8 and 10 have no mariadb driver).
    'default' => env('DB_CONNECTION', 'mysql'),

    'connections' => [

        'sqlite' => [
            'driver' => 'sqlite',
            // Under storage/, which outlives releases; the file must exist before migrating.
            'database' => env('DB_DATABASE', storage_path('app/database.sqlite')),
            'prefix' => '',
            'foreign_key_constraints' => true,
        ],

        'mysql' => [
            'driver' => 'mysql',
            'host' => env('DB_HOST', '127.0.0.1'),
            'port' => env('DB_PORT', '3306'),
            'database' => env('DB_DATABASE', 'deenify'),
            'username' => env('DB_USERNAME', 'deenify'),
            'password' => env('DB_PASSWORD', ''),
            'unix_socket' => env('DB_SOCKET', ''),
            'charset' => 'utf8mb4',
            'collation' => 'utf8mb4_unicode_ci',
            'prefix' => '',
            'strict' => true,
            'engine' => 'InnoDB',
            // Seconds to connect; /up should answer "database: failed" quickly, not hang.
            'options' => [PDO::ATTR_TIMEOUT => (int) env('DB_TIMEOUT', 5)],
        ],

        'pgsql' => [
            'driver' => 'pgsql',
            'host' => env('DB_HOST', '127.0.0.1'),
            'port' => env('DB_PORT', '5432'),
            'database' => env('DB_DATABASE', 'deenify'),
            'username' => env('DB_USERNAME', 'deenify'),
            'password' => env('DB_PASSWORD', ''),
            'charset' => 'utf8',
            'prefix' => '',
            'search_path' => 'public',
            'sslmode' => env('DB_SSLMODE', 'prefer'),
        ],

    ],

    'migrations' => 'migrations',

    'redis' => [

        // phpredis is Debian's php-redis; Predis is not packaged.
        'client' => env('REDIS_CLIENT', 'phpredis'),

        'options' => [
            'prefix' => env('REDIS_PREFIX', Str::slug(env('APP_NAME', 'deenify'), '_').'_database_'),
        ],

        // Queues and sessions.
        'default' => $redisConnection((string) env('REDIS_DB', '0')),

        // A database of its own, so that `php artisan cache:clear` (FLUSHDB) leaves queued jobs alone.
        'cache' => $redisConnection((string) env('REDIS_CACHE_DB', '1')),

    ],

];
