<?php

namespace App\Http\Controllers\Admin;

use App\Http\Controllers\Controller;
use App\Models\Donation;
use App\Models\PaymentAttempt;
use Illuminate\Contracts\View\View;
use Illuminate\Support\Carbon;

class DashboardController extends Controller
{
    public function __invoke(): View
    {
        $since = Carbon::now()->subDay();

        return view('admin.dashboard', [
            'donations' => Donation::query()->with('receipt')->latest('id')->limit(20)->get(),
            'attempts' => PaymentAttempt::query()->latest('id')->limit(20)->get(),
            // The same question as the incident checks: what is stuck, per status, today.
            'donationCounts' => Donation::query()->where('created_at', '>=', $since)
                ->selectRaw('status, count(*) as total')->groupBy('status')->pluck('total', 'status'),
            'attemptCounts' => PaymentAttempt::query()->where('created_at', '>=', $since)
                ->selectRaw('status, count(*) as total')->groupBy('status')->pluck('total', 'status'),
        ]);
    }
}
