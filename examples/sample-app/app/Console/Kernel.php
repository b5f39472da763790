<?php

namespace App\Console;

use Illuminate\Console\Scheduling\Schedule;
use Illuminate\Foundation\Console\Kernel as ConsoleKernel;

class Kernel extends ConsoleKernel
{
    /**
     * @var array<int, class-string>
     */
    protected $commands = [
        Commands\CreateAdmin::class,
        Commands\DispatchJob::class,
        Commands\EnsureAppKey::class,
        Commands\Heartbeat::class,
    ];

    /**
     * `php artisan schedule:run` every minute (runbook 4.1) runs what is due here.
     */
    protected function schedule(Schedule $schedule): void
    {
        // Proof that the scheduler runs, and on which release: scheduler.log and the cache.
        $schedule->command('deenify:heartbeat')->everyMinute();
    }
}
