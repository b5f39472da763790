<?php

return [

    'paths' => [
        resource_path('views'),
    ],

    // Under storage/, so that `php artisan view:cache` writes nothing else into the release.
    'compiled' => storage_path('framework/views'),

];
