<?php

declare(strict_types=1);

namespace MailPass\Exception;

/**
 * The API answered with an error envelope: `{"success": false, "error": {"code", "message", "details"}}`.
 * getErrorCode() is the API's code string (VALIDATION_ERROR, NOT_FOUND, SEND_LIMIT_EXCEEDED...).
 */
class ApiException extends \RuntimeException implements MailPassException
{
    /**
     * @param array<string, string> $headers response headers, names lower-cased
     */
    public function __construct(
        string $message,
        private readonly string $errorCode,
        private readonly int $statusCode,
        private readonly mixed $details = null,
        private readonly ?int $retryAfter = null,
        private readonly ?string $requestId = null,
        private readonly array $headers = [],
        private readonly ?string $rawBody = null,
    ) {
        parent::__construct($message, $statusCode);
    }

    /** The API's error code, e.g. "VALIDATION_ERROR"; "HTTP_<status>" when the body was not the envelope. */
    public function getErrorCode(): string
    {
        return $this->errorCode;
    }

    public function getStatusCode(): int
    {
        return $this->statusCode;
    }

    /** VALIDATION_ERROR: a list of {field, message, type}; SEND_LIMIT_EXCEEDED: the limits; otherwise null. */
    public function getDetails(): mixed
    {
        return $this->details;
    }

    /** Seconds the API asked to wait (Retry-After), or null. */
    public function getRetryAfter(): ?int
    {
        return $this->retryAfter;
    }

    /** The request id from the response headers when the API or its gateway gives one. */
    public function getRequestId(): ?string
    {
        return $this->requestId;
    }

    /** @return array<string, string> */
    public function getHeaders(): array
    {
        return $this->headers;
    }

    public function getRawBody(): ?string
    {
        return $this->rawBody;
    }
}
