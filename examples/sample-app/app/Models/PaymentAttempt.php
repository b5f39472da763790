<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/**
 * One try at taking a donation's money through a gateway (runbook 8.1: "payment status is
 * not updating" starts here).
 *
 * @property int $id
 * @property int $donation_id
 * @property string $gateway
 * @property string $status
 * @property int $amount_minor
 * @property string $currency
 * @property string|null $gateway_reference
 * @property string|null $failure_reason
 */
class PaymentAttempt extends Model
{
    public const STATUS_PENDING = 'pending';
    public const STATUS_SUCCEEDED = 'succeeded';
    public const STATUS_FAILED = 'failed';

    /** @var array<int, string> */
    protected $fillable = [
        'donation_id', 'gateway', 'status', 'amount_minor', 'currency', 'gateway_reference', 'failure_reason',
    ];

    /** @var array<string, string> */
    protected $casts = [
        'amount_minor' => 'integer',
    ];

    public function donation(): BelongsTo
    {
        return $this->belongsTo(Donation::class);
    }
}
