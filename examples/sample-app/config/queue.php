<?php

/*
 * retry_after (seconds) must be longer than the longest job may run, or a second worker
 * starts the same job while the first still runs it. SlowJob is capped at 600 s.
 */

return [

    'default' => env('QUEUE_CONNECTION', 'database'),

    'connections' => [

        'sync' => [
            'driver' => 'sync',
        ],

        'database' => [
            'driver' => 'database',
            'connection' => null,
            'table' => 'jobs',
            'queue' => 'default',
            'retry_after' => (int) env('QUEUE_RETRY_AFTER', 900),
            // Queued only once the surrounding transaction commits (a donation and its receipt job).
            'after_commit' => true,
        ],

        'redis' => [
            'driver' => 'redis',
            'connection' => 'default',
            'queue' => 'default',
            'retry_after' => (int) env('QUEUE_RETRY_AFTER', 900),
            'block_for' => null,
            'after_commit' => true,
        ],

    ],

    'failed' => [
        'driver' => 'database-uuids',
        'database' => env('DB_CONNECTION', 'mysql'),
        'table' => 'failed_jobs',
    ],

];
