<?php

namespace App\Http\Controllers;

use App\Jobs\RenderDonationReceipt;
use App\Models\Donation;
use App\Models\PaymentAttempt;
use Illuminate\Contracts\View\View;
use Illuminate\Http\RedirectResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Log;
use Illuminate\Support\Str;
use Illuminate\Validation\Rule;
use Throwable;

class DonationController extends Controller
{
    public function create(): View
    {
        return view('donations.create', ['currencies' => Donation::CURRENCIES]);
    }

    /**
     * Records the donation and a pending attempt at the sandbox gateway (there is no real
     * gateway), then queues its receipt.
     */
    public function store(Request $request): RedirectResponse
    {
        $data = $request->validate([
            'donor_name' => ['required', 'string', 'max:120'],
            'donor_email' => ['required', 'string', 'email', 'max:254'],
            // Up to 1,000,000 with at most two decimals, kept as a string until converted.
            'amount' => ['required', 'string', 'regex:/^\d{1,7}(\.\d{1,2})?$/'],
            'currency' => ['required', Rule::in(Donation::CURRENCIES)],
        ]);

        $amountMinor = self::minorUnits($data['amount']);
        if ($amountMinor < 100 || $amountMinor > 100_000_000) {
            return back()->withInput()->withErrors(['amount' => 'Give between 1 and 1,000,000.']);
        }

        $donation = DB::transaction(static function () use ($data, $amountMinor): Donation {
            $donation = Donation::query()->create([
                'donor_name' => $data['donor_name'],
                'donor_email' => $data['donor_email'],
                'amount_minor' => $amountMinor,
                'currency' => $data['currency'],
                'status' => Donation::STATUS_PENDING,
            ]);
            $donation->paymentAttempts()->create([
                'gateway' => 'sandbox',
                'status' => PaymentAttempt::STATUS_PENDING,
                'amount_minor' => $amountMinor,
                'currency' => $data['currency'],
                'gateway_reference' => 'sandbox-'.Str::uuid(),
            ]);

            return $donation;
        });

        try {
            RenderDonationReceipt::dispatch($donation);
        } catch (Throwable $e) {
            // The gift is recorded; a receipt that could not be queued shows up as a
            // donation without a donation_receipts row (runbook 8.1) and is queued again
            // with `php artisan deenify:dispatch receipt --donation=<id>`.
            Log::error("receipt for donation {$donation->id} could not be queued: ".$e->getMessage());
            report($e);
        }

        return redirect()->route('donations.create')->with('donated', [
            'amount' => $donation->formattedAmount(),
            'reference' => $donation->id,
        ]);
    }

    /**
     * "1250.5" to 125050, without going through a float.
     */
    private static function minorUnits(string $amount): int
    {
        [$whole, $fraction] = array_pad(explode('.', $amount, 2), 2, '');

        return (int) $whole * 100 + (int) str_pad($fraction, 2, '0');
    }
}
