<?php

namespace App\Console\Commands;

use Illuminate\Console\Command;

/**
 * key:generate replaces a key that exists, which would log everyone out and make
 * encrypted values unreadable; setup runs this instead, which only fills an empty one.
 */
class EnsureAppKey extends Command
{
    protected $signature = 'deenify:ensure-key';

    protected $description = 'Generate APP_KEY in .env only when none is set';

    public function handle(): int
    {
        if ((string) config('app.key') !== '') {
            $this->line('APP_KEY is set; kept as it is.');

            return self::SUCCESS;
        }

        if (! is_file($this->laravel->environmentFilePath())) {
            $this->error('No .env to write APP_KEY into: copy .env.example to .env first.');

            return self::FAILURE;
        }

        return $this->call('key:generate', ['--force' => true]);
    }
}
