@extends('layout')

@section('title', 'Admin login')

@section('content')
    <h1>Admin login</h1>

    <form method="post" action="{{ route('admin.login.attempt') }}" class="card narrow">
        @csrf
        <label>
            Email
            <input type="email" name="email" value="{{ old('email') }}" required autocomplete="username" autofocus>
        </label>
        <label>
            Password
            <input type="password" name="password" required autocomplete="current-password">
        </label>
        @error('email') <p class="error">{{ $message }}</p> @enderror
        <button type="submit">Log in</button>
    </form>
@endsection
