<?php

namespace App\Exceptions;

use App\Http\Middleware\AddReleaseHeader;
use Illuminate\Foundation\Exceptions\Handler as ExceptionHandler;
use Throwable;

class Handler extends ExceptionHandler
{
    /**
     * Never flashed back into a form after a validation error.
     *
     * @var array<int, string>
     */
    protected $dontFlash = [
        'password',
    ];

    /**
     * An error the HTTP kernel catches outside the middleware (one raised while booting)
     * is rendered here without passing AddReleaseHeader, so the header is set here too.
     *
     * @param  \Illuminate\Http\Request  $request
     */
    public function render($request, Throwable $e)
    {
        $response = parent::render($request, $e);
        $release = $this->container->bound('config') ? config('app.release') : null;
        $response->headers->set(AddReleaseHeader::HEADER, (string) ($release ?? 'unknown'));

        return $response;
    }
}
