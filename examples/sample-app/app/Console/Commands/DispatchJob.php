<?php

namespace App\Console\Commands;

use App\Jobs\FailOnPurpose;
use App\Jobs\RenderDonationReceipt;
use App\Jobs\SlowJob;
use App\Models\Donation;
use App\Models\PaymentAttempt;
use Illuminate\Console\Command;
use Illuminate\Support\Facades\DB;

/**
 * Puts a test job on the default queue, for the deploy tests and for an operator who
 * wants to see the workers take something.
 */
class DispatchJob extends Command
{
    protected $signature = 'deenify:dispatch
        {kind : receipt|fail|slow}
        {--seconds=30 : How long the slow job works (1-600)}
        {--hold : The slow job then goes on while storage/app/hold-slow-jobs exists (600 s at most)}
        {--donation= : The donation whose receipt to render; a demo donation is made when absent}';

    protected $description = 'Queue a receipt, a failing or a slow job';

    public function handle(): int
    {
        $kind = (string) $this->argument('kind');
        $connection = (string) config('queue.default');

        switch ($kind) {
            case 'receipt':
                $donation = $this->donation();
                if ($donation === null) {
                    return self::FAILURE;
                }
                RenderDonationReceipt::dispatch($donation);
                $this->line("queued RenderDonationReceipt for donation {$donation->id} on {$connection}");

                return self::SUCCESS;

            case 'fail':
                FailOnPurpose::dispatch();
                $this->line("queued FailOnPurpose on {$connection}");

                return self::SUCCESS;

            case 'slow':
                $seconds = filter_var($this->option('seconds'), FILTER_VALIDATE_INT);
                if ($seconds === false || $seconds < 1 || $seconds > SlowJob::MAX_SECONDS) {
                    $this->error('--seconds takes a whole number from 1 to '.SlowJob::MAX_SECONDS.'.');

                    return self::INVALID;
                }
                $hold = (bool) $this->option('hold');
                SlowJob::dispatch($seconds, $hold);
                $this->line("queued SlowJob ({$seconds} s".($hold ? ', then held' : '').") on {$connection}");

                return self::SUCCESS;

            default:
                $this->error("Unknown kind {$kind}: use receipt, fail or slow.");

                return self::INVALID;
        }
    }

    private function donation(): ?Donation
    {
        $id = $this->option('donation');
        if ($id !== null && $id !== '') {
            $donation = Donation::query()->find($id);
            if ($donation === null) {
                $this->error("No donation with id {$id}.");
            }

            return $donation;
        }

        return DB::transaction(static function (): Donation {
            $donation = Donation::query()->create([
                'donor_name' => 'Demo Donor',
                'donor_email' => 'demo@example.org',
                'amount_minor' => 50000,
                'currency' => 'BDT',
                'status' => Donation::STATUS_PENDING,
            ]);
            $donation->paymentAttempts()->create([
                'gateway' => 'sandbox',
                'status' => PaymentAttempt::STATUS_PENDING,
                'amount_minor' => $donation->amount_minor,
                'currency' => $donation->currency,
            ]);

            return $donation;
        });
    }
}
