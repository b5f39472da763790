<?php

namespace App\Console\Commands;

use App\Support\EventLog;
use Illuminate\Console\Command;
use Illuminate\Support\Facades\Cache;

class Heartbeat extends Command
{
    public const CACHE_KEY = 'deenify:heartbeat';

    protected $signature = 'deenify:heartbeat';

    protected $description = 'Write "<time> heartbeat release=<id>" to storage/logs/scheduler.log and the cache';

    public function handle(): int
    {
        $line = EventLog::append('scheduler', 'heartbeat release='.config('app.release'));
        // Kept until the next beat replaces it; a monitor compares its time with now.
        Cache::forever(self::CACHE_KEY, $line);
        $this->line($line);

        return self::SUCCESS;
    }
}
