<?php

return [

    'paths' => [
        resource_path('views'),
    ],

    // As in Laravel 12: a deploy points VIEW_COMPILED_PATH at a directory of the release's
    // own when it caches the configuration, so that the next release's `view:cache`
    // never clears the files the live one reads.
    'compiled' => env('VIEW_COMPILED_PATH', realpath(storage_path('framework/views'))),

];
