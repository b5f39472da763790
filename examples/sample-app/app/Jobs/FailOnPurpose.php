<?php

namespace App\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use RuntimeException;

/**
 * Always throws, once: proves that failures land in failed_jobs and that the alerting
 * on them fires (`php artisan deenify:dispatch fail`).
 */
class FailOnPurpose implements ShouldQueue
{
    use Dispatchable;
    use InteractsWithQueue;
    use Queueable;

    public int $tries = 1;

    public function handle(): void
    {
        throw new RuntimeException('FailOnPurpose always fails: it was dispatched to test failed_jobs');
    }
}
