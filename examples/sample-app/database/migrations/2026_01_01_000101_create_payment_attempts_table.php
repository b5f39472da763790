<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

return new class extends Migration
{
    public function up(): void
    {
        Schema::create('payment_attempts', function (Blueprint $table): void {
            $table->id();
            // No cascade: a donation with payment history is never deleted by accident.
            $table->foreignId('donation_id')->constrained('donations');
            $table->string('gateway', 40);
            $table->string('status', 20);
            $table->unsignedBigInteger('amount_minor');
            $table->char('currency', 3);
            $table->string('gateway_reference', 191)->nullable();
            $table->string('failure_reason')->nullable();
            $table->timestamps();

            // Runbook 8.1 "payment status is not updating": stuck or failing attempts by age,
            // per gateway, and a gateway's callback finding its attempt by reference.
            $table->index(['status', 'created_at']);
            $table->index(['gateway', 'status']);
            $table->index('created_at');
            $table->index('gateway_reference');
        });
    }

    public function down(): void
    {
        Schema::dropIfExists('payment_attempts');
    }
};
