<?php

declare(strict_types=1);

namespace MailPass\Exception;

/** A webhook delivery failed verification: missing headers, stale timestamp or no matching signature. */
final class WebhookVerificationException extends \RuntimeException implements MailPassException
{
}
