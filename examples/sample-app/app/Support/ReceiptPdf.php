<?php

namespace App\Support;

use App\Models\Donation;
use RuntimeException;
use TCPDF;

/**
 * Renders a donation's receipt with TCPDF, the PDF library Debian packages for both
 * releases (php-dompdf is in Debian 12 only).
 */
final class ReceiptPdf
{
    /**
     * Writes the receipt to $path through a temporary file and a rename, so a reader
     * never sees half a PDF and a failed render leaves the previous file in place.
     */
    public function render(Donation $donation, string $receiptNumber, string $path): void
    {
        $directory = dirname($path);
        if (! is_dir($directory) && ! @mkdir($directory, 0775, true) && ! is_dir($directory)) {
            throw new RuntimeException("Cannot create {$directory}: check that storage/app is writable");
        }

        $pdf = new TCPDF('P', 'mm', 'A4', true, 'UTF-8', false);
        $pdf->SetCreator('Deenify');
        $pdf->SetAuthor('Deenify');
        $pdf->SetTitle('Donation receipt '.$receiptNumber);
        $pdf->setPrintHeader(false);
        $pdf->setPrintFooter(false);
        $pdf->SetMargins(20, 20, 20);
        $pdf->AddPage();

        // DejaVu Sans covers Latin, Greek and Cyrillic names; TCPDF ships it on both releases.
        $pdf->SetFont('dejavusans', 'B', 18);
        $pdf->Cell(0, 12, 'Deenify donation receipt', 0, 1);
        $pdf->SetFont('dejavusans', '', 11);
        $pdf->Ln(4);

        $rows = [
            'Receipt number' => $receiptNumber,
            'Date' => $donation->created_at->format('Y-m-d H:i').' UTC',
            'Donor' => $donation->donor_name,
            'Email' => $donation->donor_email,
            'Amount' => $donation->formattedAmount(),
            'Payment status' => $donation->status,
        ];
        foreach ($rows as $label => $value) {
            $pdf->SetFont('dejavusans', 'B', 11);
            $pdf->Cell(50, 8, $label, 0, 0);
            $pdf->SetFont('dejavusans', '', 11);
            $pdf->Cell(0, 8, $value, 0, 1);
        }

        $pdf->Ln(8);
        $pdf->SetFont('dejavusans', '', 9);
        $pdf->MultiCell(0, 6, 'Thank you for your gift. Keep this receipt for your records.', 0, 'L');

        $temporary = $path.'.'.getmypid().'.tmp';
        $pdf->Output($temporary, 'F');
        if (! is_file($temporary) || ! @rename($temporary, $path)) {
            @unlink($temporary);
            throw new RuntimeException("Cannot write the receipt {$path}");
        }
    }
}
