<?php

namespace App\Http\Controllers\Admin;

use App\Http\Controllers\Controller;
use App\Support\EventLog;
use Illuminate\Contracts\View\View;
use Illuminate\Http\RedirectResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Auth;

/**
 * Every login attempt writes one line to storage/logs/admin-auth.log:
 *
 *   2026-12-03T23:00:00+00:00 deenify admin-login failed ip=203.0.113.7 email="x@example.org"
 *
 * fail2ban matches the "failed" lines; the address is the client's as TrustProxies sees it.
 */
class LoginController extends Controller
{
    public function show(): View
    {
        return view('admin.login');
    }

    public function login(Request $request): RedirectResponse
    {
        // Anything but a string (email[]=...) counts as an empty, failed attempt.
        $email = $request->input('email');
        $email = is_string($email) ? $email : '';
        $password = $request->input('password');
        $password = is_string($password) ? $password : '';

        $credentials = ['email' => $email, 'password' => $password, 'is_admin' => true];
        if ($email !== '' && $password !== '' && Auth::attempt($credentials)) {
            $request->session()->regenerate();
            self::log('ok', $request, $email);

            return redirect()->intended(route('admin.dashboard'));
        }

        self::log('failed', $request, $email);

        return redirect()->route('admin.login')
            ->withInput(['email' => $email])
            ->withErrors(['email' => 'These credentials do not match an administrator.']);
    }

    public function logout(Request $request): RedirectResponse
    {
        Auth::logout();
        $request->session()->invalidate();
        $request->session()->regenerateToken();

        return redirect()->route('admin.login');
    }

    private static function log(string $outcome, Request $request, string $email): void
    {
        EventLog::append('admin-auth', sprintf(
            'deenify admin-login %s ip=%s email=%s',
            $outcome,
            $request->ip() ?? '-',
            EventLog::quote($email)
        ));
    }
}
