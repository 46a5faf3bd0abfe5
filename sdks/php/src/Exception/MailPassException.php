<?php

declare(strict_types=1);

namespace MailPass\Exception;

/**
 * Every exception the SDK throws implements this, so one catch covers API errors, transport
 * failures and webhook verification failures alike.
 */
interface MailPassException extends \Throwable
{
}
