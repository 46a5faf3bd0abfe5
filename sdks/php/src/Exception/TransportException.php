<?php

declare(strict_types=1);

namespace MailPass\Exception;

/**
 * The request never got an HTTP answer: connection refused, DNS failure, TLS error or timeout.
 * Whether the server acted on it is unknown, which is why sends carry an Idempotency-Key.
 */
final class TransportException extends \RuntimeException implements MailPassException
{
    public function __construct(
        string $message,
        private readonly int $curlErrno = 0,
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, $curlErrno, $previous);
    }

    /** The curl error number (CURLE_*), 0 when not from curl. */
    public function getCurlErrno(): int
    {
        return $this->curlErrno;
    }

    public function isTimeout(): bool
    {
        return $this->curlErrno === CURLE_OPERATION_TIMEDOUT;
    }
}
