@extends('layout')

@section('title', 'Give')

@section('content')
    <h1>Give to Deenify</h1>

    @if (session('donated'))
        <p class="notice" role="status">
            Thank you: {{ session('donated')['amount'] }} recorded as donation
            #{{ session('donated')['reference'] }}. Your receipt is being prepared.
        </p>
    @endif

    <form method="post" action="{{ route('donations.store') }}" class="card" data-once>
        @csrf
        <label>
            Your name
            <input name="donor_name" value="{{ old('donor_name') }}" maxlength="120" required autocomplete="name">
        </label>
        @error('donor_name') <p class="error">{{ $message }}</p> @enderror

        <label>
            Email for the receipt
            <input type="email" name="donor_email" value="{{ old('donor_email') }}" maxlength="254" required
                   autocomplete="email">
        </label>
        @error('donor_email') <p class="error">{{ $message }}</p> @enderror

        <div class="row">
            <label>
                Amount
                <input name="amount" value="{{ old('amount', '500') }}" inputmode="decimal" required
                       pattern="\d{1,7}(\.\d{1,2})?">
            </label>
            <label>
                Currency
                <select name="currency">
                    @foreach ($currencies as $currency)
                        <option value="{{ $currency }}" @if (old('currency', 'BDT') === $currency) selected @endif>
                            {{ $currency }}
                        </option>
                    @endforeach
                </select>
            </label>
        </div>
        @error('amount') <p class="error">{{ $message }}</p> @enderror
        @error('currency') <p class="error">{{ $message }}</p> @enderror

        <button type="submit">Give</button>
        <p class="hint">Payments go to the sandbox gateway: no money moves.</p>
    </form>
@endsection
