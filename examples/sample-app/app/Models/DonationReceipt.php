<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/**
 * The PDF receipt of a donation (runbook 8.1: "receipts are not being generated" starts
 * here). path is relative to storage/app, so it stays right across releases.
 *
 * @property int $id
 * @property int $donation_id
 * @property string $receipt_number
 * @property string $path
 * @property \Illuminate\Support\Carbon|null $rendered_at
 */
class DonationReceipt extends Model
{
    /** @var array<int, string> */
    protected $fillable = ['donation_id', 'receipt_number', 'path', 'rendered_at'];

    /** @var array<string, string> */
    protected $casts = [
        'rendered_at' => 'datetime',
    ];

    public function donation(): BelongsTo
    {
        return $this->belongsTo(Donation::class);
    }

    /**
     * DR-<year>-<donation id, six digits>: unique because the donation id is.
     */
    public static function numberFor(Donation $donation): string
    {
        return sprintf('DR-%s-%06d', $donation->created_at->format('Y'), $donation->id);
    }
}
