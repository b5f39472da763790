<?php

namespace App\Jobs;

use App\Models\Donation;
use App\Models\DonationReceipt;
use App\Support\ReceiptPdf;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Queue\SerializesModels;
use Illuminate\Support\Carbon;
use Illuminate\Support\Facades\Log;

/**
 * Renders storage/app/receipts/<receipt number>.pdf and records it in donation_receipts.
 * Running it again for the same donation replaces the file and updates the same row.
 */
class RenderDonationReceipt implements ShouldQueue
{
    use Dispatchable;
    use InteractsWithQueue;
    use Queueable;
    use SerializesModels;

    public int $tries = 3;

    /** @var array<int, int> */
    public array $backoff = [10, 60];

    public int $timeout = 120;

    public function __construct(public Donation $donation)
    {
    }

    public function handle(ReceiptPdf $renderer): void
    {
        $number = DonationReceipt::numberFor($this->donation);
        $relative = 'receipts/'.$number.'.pdf';

        $renderer->render($this->donation, $number, storage_path('app/'.$relative));

        DonationReceipt::query()->updateOrCreate(
            ['donation_id' => $this->donation->id],
            ['receipt_number' => $number, 'path' => $relative, 'rendered_at' => Carbon::now()]
        );

        Log::info("receipt {$number} rendered for donation {$this->donation->id}", ['path' => $relative]);
    }
}
