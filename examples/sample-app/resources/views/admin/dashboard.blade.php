@extends('layout')

@section('title', 'Admin')

@section('content')
    <h1>Donations</h1>

    <section class="counts">
        <h2>Last 24 hours</h2>
        <p>
            Donations:
            @forelse ($donationCounts as $status => $total)
                <span class="badge status-{{ $status }}">{{ $status }} {{ $total }}</span>
            @empty
                none
            @endforelse
        </p>
        <p>
            Payment attempts:
            @forelse ($attemptCounts as $status => $total)
                <span class="badge status-{{ $status }}">{{ $status }} {{ $total }}</span>
            @empty
                none
            @endforelse
        </p>
    </section>

    <h2>Recent donations</h2>
    <table>
        <thead>
            <tr><th>#</th><th>When (UTC)</th><th>Donor</th><th>Amount</th><th>Status</th><th>Receipt</th></tr>
        </thead>
        <tbody>
            @forelse ($donations as $donation)
                <tr>
                    <td>{{ $donation->id }}</td>
                    <td>{{ $donation->created_at->format('Y-m-d H:i') }}</td>
                    <td>{{ $donation->donor_name }} &lt;{{ $donation->donor_email }}&gt;</td>
                    <td class="number">{{ $donation->formattedAmount() }}</td>
                    <td><span class="badge status-{{ $donation->status }}">{{ $donation->status }}</span></td>
                    <td>{{ $donation->receipt ? $donation->receipt->receipt_number : 'not yet' }}</td>
                </tr>
            @empty
                <tr><td colspan="6">No donations yet.</td></tr>
            @endforelse
        </tbody>
    </table>

    <h2>Recent payment attempts</h2>
    <table>
        <thead>
            <tr><th>#</th><th>Donation</th><th>Gateway</th><th>Reference</th><th>Amount</th><th>Status</th></tr>
        </thead>
        <tbody>
            @forelse ($attempts as $attempt)
                <tr>
                    <td>{{ $attempt->id }}</td>
                    <td>{{ $attempt->donation_id }}</td>
                    <td>{{ $attempt->gateway }}</td>
                    <td><code>{{ $attempt->gateway_reference ?? '-' }}</code></td>
                    <td class="number">
                        {{ $attempt->currency }} {{ number_format($attempt->amount_minor / 100, 2) }}
                    </td>
                    <td>
                        <span class="badge status-{{ $attempt->status }}">{{ $attempt->status }}</span>
                        @if ($attempt->failure_reason) {{ $attempt->failure_reason }} @endif
                    </td>
                </tr>
            @empty
                <tr><td colspan="6">No payment attempts yet.</td></tr>
            @endforelse
        </tbody>
    </table>
@endsection
