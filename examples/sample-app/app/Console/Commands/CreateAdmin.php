<?php

namespace App\Console\Commands;

use App\Models\User;
use Illuminate\Console\Command;
use Illuminate\Support\Facades\Hash;

/**
 * Creates or updates an administrator. The password comes from DEENIFY_ADMIN_PASSWORD,
 * never from the command line, where `ps` and shell histories would show it.
 *
 * Prints "admin <email> created", "updated" or "unchanged", so a deploy can tell whether
 * it changed anything.
 */
class CreateAdmin extends Command
{
    public const PASSWORD_VARIABLE = 'DEENIFY_ADMIN_PASSWORD';

    private const MIN_PASSWORD_LENGTH = 12;

    protected $signature = 'deenify:admin
        {email : The administrator\'s login}
        {--name=Administrator : The name shown in the admin pages}';

    protected $description = 'Create or update an administrator; the password is read from DEENIFY_ADMIN_PASSWORD';

    public function handle(): int
    {
        $email = strtolower(trim((string) $this->argument('email')));
        if (filter_var($email, FILTER_VALIDATE_EMAIL) === false) {
            $this->error("Not an email address: {$email}");

            return self::INVALID;
        }

        $password = getenv(self::PASSWORD_VARIABLE);
        if (! is_string($password) || $password === '') {
            $this->error('Set the password in the environment variable '.self::PASSWORD_VARIABLE.'.');

            return self::INVALID;
        }
        if (mb_strlen($password) < self::MIN_PASSWORD_LENGTH) {
            $this->error(self::PASSWORD_VARIABLE.' is shorter than '.self::MIN_PASSWORD_LENGTH.' characters.');

            return self::INVALID;
        }

        $name = (string) $this->option('name');
        $user = User::query()->where('email', $email)->first();

        if ($user === null) {
            User::query()->create([
                'name' => $name,
                'email' => $email,
                'password' => Hash::make($password),
                'is_admin' => true,
            ]);
            $this->line("admin {$email} created");

            return self::SUCCESS;
        }

        if ($user->is_admin && $user->name === $name && Hash::check($password, $user->password)) {
            $this->line("admin {$email} unchanged");

            return self::SUCCESS;
        }

        $user->forceFill([
            'name' => $name,
            'password' => Hash::make($password),
            'is_admin' => true,
        ])->save();
        $this->line("admin {$email} updated");

        return self::SUCCESS;
    }
}
