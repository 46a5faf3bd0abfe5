<?php

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

use MailPass\Exception\ApiException;
use MailPass\Exception\TransportException;

$client = new MailPass\Client(); // MAILPASS_API_KEY and MAILPASS_BASE_URL from the environment

try {
    $client->mail->send(['to' => 'not-an-address', 'subject' => 'Hello', 'text' => 'Hi']);
} catch (ApiException $e) {
    // The API's own code and status; details list the fields for VALIDATION_ERROR.
    printf("%s (%d): %s\n", $e->getErrorCode(), $e->getStatusCode(), $e->getMessage());
    foreach ($e->getDetails() ?? [] as $problem) {
        printf("  %s: %s\n", $problem['field'], $problem['message']);
    }
    if ($e->getRetryAfter() !== null) {
        printf("retry in %d s\n", $e->getRetryAfter());
    }
} catch (TransportException $e) {
    // No answer at all (connection refused, timeout): the send may or may not have happened.
    echo 'MailPass unreachable: ', $e->getMessage(), "\n";
}
