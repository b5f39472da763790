<?php

// Only the rules the app uses. Laravel 8 ships no language files of its own; the
// framework reads resources/lang on 8, 10 and 12 alike.
return [
    'email' => 'The :attribute must be a valid email address.',
    'in' => 'The selected :attribute is not one we accept.',
    'max' => [
        'string' => 'The :attribute must be at most :max characters.',
    ],
    'regex' => 'The :attribute format is not valid.',
    'required' => 'The :attribute is required.',
    'string' => 'The :attribute must be text.',

    'custom' => [
        'amount' => [
            'regex' => 'Enter the amount as a number such as 500 or 12.50.',
        ],
    ],

    'attributes' => [
        'donor_name' => 'name',
        'donor_email' => 'email address',
    ],
];
