<?php

namespace App\Providers;

use Illuminate\Foundation\Support\Providers\RouteServiceProvider as ServiceProvider;
use Illuminate\Support\Facades\Route;

class RouteServiceProvider extends ServiceProvider
{
    public function boot(): void
    {
        $this->routes(function (): void {
            // Outside the "web" group: /up starts no session and sets no cookie.
            Route::group([], base_path('routes/health.php'));

            Route::middleware('web')->group(base_path('routes/web.php'));
        });
    }
}
