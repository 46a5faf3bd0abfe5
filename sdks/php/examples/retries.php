<?php

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

// 429 and 5xx answers (except SEND_FAILED) and connection failures are retried up to
// max_retries times with jittered backoff, honouring Retry-After. Sends carry an
// Idempotency-Key so a retry is never delivered twice; pass your own to make a send
// idempotent across processes too (e.g. the order id).
$client = new MailPass\Client(null, ['max_retries' => 3, 'timeout' => 10]);

$order = 'order-' . bin2hex(random_bytes(4));
$first = $client->mail->send(
    ['to' => 'buyer@example.com', 'subject' => 'Order confirmed', 'text' => 'Thanks!'],
    ['idempotency_key' => $order],
);
$again = $client->mail->send(
    ['to' => 'buyer@example.com', 'subject' => 'Order confirmed', 'text' => 'Thanks!'],
    ['idempotency_key' => $order],
);
var_dump($first['data']['message_id'] === $again['data']['message_id']); // bool(true): sent once
