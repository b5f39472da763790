<?php

/*
 * Packagist is out of reach here, so composer.json requires no package: the Laravel
 * framework and TCPDF come from Debian (php-laravel-framework, php-tcpdf) and composer's
 * "autoload.files" loads them from this file. A real Laravel 12 application gets both
 * from vendor/ instead and has no such file; nothing else in the app depends on it.
 */

$deenifyLibraries = [
    '/usr/share/php/Illuminate/autoload.php' => 'php-laravel-framework',
    '/usr/share/php/tcpdf/autoload.php' => 'php-tcpdf',
];

$deenifyMissing = [];
foreach ($deenifyLibraries as $deenifyFile => $deenifyPackage) {
    if (! is_file($deenifyFile)) {
        $deenifyMissing[] = "{$deenifyFile} (Debian package {$deenifyPackage})";
    }
}

if ($deenifyMissing !== []) {
    $deenifyMessage = 'Deenify cannot start: missing '.implode(' and ', $deenifyMissing)
        .'; install with: apt-get install '.implode(' ', array_values($deenifyLibraries));
    if (PHP_SAPI === 'cli') {
        fwrite(STDERR, $deenifyMessage.PHP_EOL);
    } else {
        error_log($deenifyMessage);
        http_response_code(500);
        header('Content-Type: text/plain');
        echo "Deenify cannot start; the server's error log says why.\n";
    }
    exit(1);
}

// TCPDF's packaged config file dies on any error, which would kill a queue worker mid-job;
// its built-in defaults plus exceptions let the job fail and be retried instead.
define('K_TCPDF_EXTERNAL_CONFIG', true);
define('K_TCPDF_THROW_EXCEPTION_ERROR', true);

require_once '/usr/share/php/Illuminate/autoload.php';
// Registers a class loader only: tcpdf.php itself is read when a receipt is rendered.
require_once '/usr/share/php/tcpdf/autoload.php';

unset($deenifyLibraries, $deenifyMissing, $deenifyFile, $deenifyPackage);
