<?php

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

use MailPass\Exception\WebhookVerificationException;

// The endpoint's secret (whsec_...), from the webhook's creation or its last rotate-secret.
$secret = getenv('MAILPASS_WEBHOOK_SECRET') ?: '';

try {
    // The raw body, as received: re-encoded JSON would not match the signature.
    $event = MailPass\Webhook::verify(file_get_contents('php://input'), getallheaders(), $secret);
} catch (WebhookVerificationException $e) {
    http_response_code(400);
    echo $e->getMessage();
    return;
}

error_log(sprintf('MailPass event %s for %s', $event['type'] ?? '?', $event['data']['message_id'] ?? '?'));
http_response_code(204);
