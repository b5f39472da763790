<?php

namespace App\Jobs;

use App\Support\EventLog;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use InvalidArgumentException;

/**
 * Works for N seconds and writes to storage/logs/slow-jobs.log when it starts and when it
 * finishes, with the release and the process id: a job running across a deploy must
 * finish on the worker (and the release) that started it.
 */
class SlowJob implements ShouldQueue
{
    use Dispatchable;
    use InteractsWithQueue;
    use Queueable;

    // queue.php's retry_after (900 s) must stay above the longest run, or a second worker
    // would take the job while this one still runs it.
    public const MAX_SECONDS = 600;

    // Run once: a retry would hide a worker that was killed mid-job.
    public int $tries = 1;

    public int $timeout;

    // While this file exists in storage/app, a held job goes on after its seconds: a test
    // keeps a job running until it has seen what it waits for (a deploy's switch), then
    // removes the file.
    public const HOLD_FILE = 'hold-slow-jobs';

    public function __construct(public int $seconds, public bool $hold = false)
    {
        if ($seconds < 1 || $seconds > self::MAX_SECONDS) {
            throw new InvalidArgumentException('SlowJob runs between 1 and '.self::MAX_SECONDS.' seconds');
        }
        $this->timeout = ($hold ? self::MAX_SECONDS : $seconds) + 60;
    }

    public function handle(): void
    {
        $fields = sprintf(
            'job=%s release=%s pid=%d seconds=%d',
            $this->job !== null ? $this->job->getJobId() : 'sync',
            config('app.release'),
            getmypid(),
            $this->seconds
        );
        EventLog::append('slow-jobs', 'slow-job started '.$fields);

        // A loop, not one sleep(): the worker's SIGTERM handler (a deploy restarting it)
        // wakes sleep() early, and the job must still run its full time.
        $started = microtime(true);
        $deadline = $started + $this->seconds;
        while (($left = $deadline - microtime(true)) > 0) {
            usleep((int) (min($left, 1.0) * 1_000_000));
        }
        $hold = storage_path('app/'.self::HOLD_FILE);
        while ($this->hold && file_exists($hold) && microtime(true) - $started < self::MAX_SECONDS) {
            usleep(200_000);
            clearstatcache(true, $hold);
        }

        EventLog::append('slow-jobs', 'slow-job finished '.$fields);
    }
}
