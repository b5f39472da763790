<?php

use Monolog\Handler\NullHandler;

/*
 * laravel.log is the application's log (runbook 6.1). The event logs that tools read
 * line by line (admin-auth.log for fail2ban, scheduler.log, slow-jobs.log) are written
 * by App\Support\EventLog in a fixed format, not through these channels.
 */

return [

    'default' => env('LOG_CHANNEL', 'stack'),

    // PHP deprecations (TCPDF on PHP 8.4 has some) go nowhere unless a channel is named.
    'deprecations' => env('LOG_DEPRECATIONS_CHANNEL', 'null'),

    'channels' => [

        'stack' => [
            'driver' => 'stack',
            'channels' => ['single'],
            'ignore_exceptions' => false,
        ],

        'single' => [
            'driver' => 'single',
            'path' => storage_path('logs/laravel.log'),
            'level' => env('LOG_LEVEL', 'info'),
            // php-fpm and the workers (umask 022) and the scheduler (the deploy account)
            // write the same file: whoever creates it leaves it writable for the group.
            'permission' => 0664,
        ],

        'stderr' => [
            'driver' => 'monolog',
            'handler' => Monolog\Handler\StreamHandler::class,
            'with' => ['stream' => 'php://stderr'],
            'level' => env('LOG_LEVEL', 'info'),
        ],

        'null' => [
            'driver' => 'monolog',
            'handler' => NullHandler::class,
        ],

        'emergency' => [
            'path' => storage_path('logs/laravel.log'),
        ],

    ],

];
