<!doctype html>
<html lang="en">
<head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>@yield('title', 'Give') · {{ config('app.name') }}</title>
    {{ \App\Support\ViteAssets::tags('resources/css/app.css', 'resources/js/app.js') }}
</head>
<body>
    <header class="site-header">
        <a class="brand" href="{{ route('donations.create') }}">{{ config('app.name') }}</a>
        @auth
            <form method="post" action="{{ route('admin.logout') }}" class="inline">
                @csrf
                <button type="submit" class="link">Log out</button>
            </form>
        @endauth
    </header>
    <main>
        @yield('content')
    </main>
    <footer class="site-footer">release {{ config('app.release') }}</footer>
</body>
</html>
