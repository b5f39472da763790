<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

return new class extends Migration
{
    public function up(): void
    {
        Schema::create('donation_receipts', function (Blueprint $table): void {
            $table->id();
            // One receipt per donation: rendering again replaces the file, not the row.
            $table->foreignId('donation_id')->unique()->constrained('donations');
            $table->string('receipt_number', 40)->unique();
            // Relative to storage/app, which the releases share.
            $table->string('path');
            $table->timestamp('rendered_at')->nullable()->index();
            $table->timestamps();
        });
    }

    public function down(): void
    {
        Schema::dropIfExists('donation_receipts');
    }
};
