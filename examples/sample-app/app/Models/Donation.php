<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\HasMany;
use Illuminate\Database\Eloquent\Relations\HasOne;

/**
 * A gift as the donor entered it. Amounts are integer minor units (paisa, cents), so no
 * database rounds them.
 *
 * @property int $id
 * @property string $donor_name
 * @property string $donor_email
 * @property int $amount_minor
 * @property string $currency
 * @property string $status
 * @property \Illuminate\Support\Carbon $created_at
 */
class Donation extends Model
{
    public const STATUS_PENDING = 'pending';
    public const STATUS_PAID = 'paid';
    public const STATUS_FAILED = 'failed';

    public const CURRENCIES = ['BDT', 'USD', 'EUR', 'GBP'];

    /** @var array<int, string> */
    protected $fillable = ['donor_name', 'donor_email', 'amount_minor', 'currency', 'status'];

    /** @var array<string, string> */
    protected $casts = [
        'amount_minor' => 'integer',
    ];

    public function paymentAttempts(): HasMany
    {
        return $this->hasMany(PaymentAttempt::class);
    }

    public function receipt(): HasOne
    {
        return $this->hasOne(DonationReceipt::class);
    }

    /**
     * "BDT 1,250.00": the amount as people read it.
     */
    public function formattedAmount(): string
    {
        return $this->currency.' '.number_format($this->amount_minor / 100, 2);
    }
}
