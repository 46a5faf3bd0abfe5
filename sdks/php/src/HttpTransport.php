<?php

declare(strict_types=1);

namespace MailPass;

use MailPass\Exception\ApiException;
use MailPass\Exception\TransportException;

/**
 * One curl handle (so keep-alive reuses the connection), JSON in and out, the error envelope
 * turned into ApiException, and the retry policy:
 *  - 429 and 5xx are retried, except SEND_FAILED (the provider refused the message, or may
 *    have taken it); so is 409 IDEMPOTENCY_IN_PROGRESS (the first request with the key, e.g.
 *    one that timed out here, is still running on the server);
 *  - connection failures and timeouts are retried under the same rule;
 *  - GET, HEAD, PUT, DELETE and OPTIONS may be repeated; a POST or PATCH is retried only when it
 *    carries an Idempotency-Key, so the server replays the first answer instead of acting twice;
 *  - the wait is exponential with jitter, or Retry-After when the API gives one (a Retry-After
 *    longer than MAX_RETRY_AFTER is not waited for: the exception is thrown at once).
 *
 * @internal use Client
 */
final class HttpTransport
{
    /** Seconds: longer Retry-After values are left to the caller (getRetryAfter()). */
    public const MAX_RETRY_AFTER = 60;
    /** Methods whose repeat the server answers as the first: retried without a key. */
    private const IDEMPOTENT_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];
    private const BASE_DELAY = 0.5;
    private const MAX_DELAY = 8.0;

    private ?\CurlHandle $curl = null;

    /**
     * @param array<string, string> $extraHeaders
     */
    public function __construct(
        private readonly string $apiKey,
        public readonly string $baseUrl,
        private readonly float $timeout,
        private readonly float $connectTimeout,
        public readonly int $maxRetries,
        private readonly array $extraHeaders,
        private readonly string $userAgent,
    ) {
    }

    public function __destruct()
    {
        if ($this->curl !== null) {
            curl_close($this->curl);
        }
    }

    /** A fresh key for send and sendBatch, so their retries are safe. */
    public static function newIdempotencyKey(): string
    {
        $bytes = random_bytes(16);
        $bytes[6] = chr((ord($bytes[6]) & 0x0f) | 0x40);
        $bytes[8] = chr((ord($bytes[8]) & 0x3f) | 0x80);
        return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($bytes), 4));
    }

    /**
     * @param array<string, mixed> $query
     * @param array<string, string> $headers
     * @return array<string, mixed>
     */
    public function request(
        string $method,
        string $path,
        array $query = [],
        mixed $body = null,
        array $headers = [],
    ): array {
        $method = strtoupper($method);
        $url = $this->baseUrl . $path . self::queryString($query);
        $payload = $body === null
            ? null
            : json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        $retryable = in_array($method, self::IDEMPOTENT_METHODS, true)
            || self::hasHeader($headers, 'Idempotency-Key');

        for ($attempt = 0;; $attempt++) {
            $canRetry = $retryable && $attempt < $this->maxRetries;
            try {
                [$status, $responseHeaders, $raw] = $this->send($method, $url, $payload, $headers);
            } catch (TransportException $e) {
                if (!$canRetry) {
                    throw $e;
                }
                $this->sleep(self::backoff($attempt));
                continue;
            }
            if ($status < 400) {
                return self::decode($raw, $status);
            }
            $error = self::apiException($status, $responseHeaders, $raw);
            $retryAfter = $error->getRetryAfter();
            if (
                !$canRetry
                || !self::isRetryableStatus($status, $error->getErrorCode())
                || ($retryAfter !== null && $retryAfter > self::MAX_RETRY_AFTER)
            ) {
                throw $error;
            }
            $this->sleep($retryAfter ?? self::backoff($attempt));
        }
    }

    public static function isRetryableStatus(int $status, string $errorCode): bool
    {
        if ($errorCode === 'SEND_FAILED') {
            return false;
        }
        return $status === 429 || $status >= 500 || $errorCode === 'IDEMPOTENCY_IN_PROGRESS';
    }

    /** Full jitter on an exponential base: 0.5 s, 1 s, 2 s... capped at 8 s. */
    public static function backoff(int $attempt): float
    {
        $ceiling = min(self::MAX_DELAY, self::BASE_DELAY * (2 ** $attempt));
        return $ceiling / 2 + $ceiling / 2 * (mt_rand() / mt_getrandmax());
    }

    /**
     * @param array<string, mixed> $query
     */
    private static function queryString(array $query): string
    {
        $clean = [];
        foreach ($query as $name => $value) {
            if ($value === null) {
                continue;
            }
            $clean[$name] = is_bool($value) ? ($value ? 'true' : 'false') : $value;
        }
        return $clean === [] ? '' : '?' . http_build_query($clean, '', '&', PHP_QUERY_RFC3986);
    }

    /**
     * @param array<string, string> $headers
     */
    private static function hasHeader(array $headers, string $name): bool
    {
        foreach ($headers as $key => $value) {
            if (strcasecmp($key, $name) === 0 && $value !== '') {
                return true;
            }
        }
        return false;
    }

    /**
     * @param array<string, string> $headers
     * @return array{int, array<string, string>, string}
     */
    private function send(string $method, string $url, ?string $payload, array $headers): array
    {
        // An empty Expect stops curl's `100-continue` round trip before bodies over 1 KiB.
        $lines = ['Authorization: Bearer ' . $this->apiKey, 'Accept: application/json', 'Expect:'];
        if ($payload !== null) {
            $lines[] = 'Content-Type: application/json';
        }
        foreach (array_merge($this->extraHeaders, $headers) as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }
        $responseHeaders = [];
        $curl = $this->curl ??= curl_init();
        curl_reset($curl);
        curl_setopt_array($curl, [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_USERAGENT => $this->userAgent,
            CURLOPT_TIMEOUT_MS => (int) ($this->timeout * 1000),
            CURLOPT_CONNECTTIMEOUT_MS => (int) ($this->connectTimeout * 1000),
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            CURLOPT_HEADERFUNCTION => static function ($handle, string $line) use (&$responseHeaders): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $responseHeaders[strtolower(trim($parts[0]))] = trim($parts[1]);
                }
                return strlen($line);
            },
        ]);
        if ($payload !== null) {
            curl_setopt($curl, CURLOPT_POSTFIELDS, $payload);
        } elseif ($method === 'POST' || $method === 'PUT' || $method === 'PATCH') {
            curl_setopt($curl, CURLOPT_POSTFIELDS, '');
        }
        $raw = curl_exec($curl);
        if (!is_string($raw)) {
            throw new TransportException(
                sprintf('%s %s failed: %s', $method, $url, curl_error($curl)),
                curl_errno($curl),
            );
        }
        return [(int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE), $responseHeaders, $raw];
    }

    /**
     * @return array<string, mixed>
     */
    private static function decode(string $raw, int $status): array
    {
        if ($raw === '') {
            return [];
        }
        try {
            $decoded = json_decode($raw, true, 512, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new ApiException(
                sprintf('The API answered %d with a body that is not JSON', $status),
                'INVALID_RESPONSE',
                $status,
                rawBody: $raw,
            );
        }
        return is_array($decoded) ? $decoded : ['data' => $decoded];
    }

    /**
     * @param array<string, string> $headers
     */
    private static function apiException(int $status, array $headers, string $raw): ApiException
    {
        $code = 'HTTP_' . $status;
        $message = sprintf('The API answered %d', $status);
        $details = null;
        $decoded = json_decode($raw, true);
        if (is_array($decoded) && is_array($decoded['error'] ?? null)) {
            $error = $decoded['error'];
            $code = is_string($error['code'] ?? null) ? $error['code'] : $code;
            $message = is_string($error['message'] ?? null) ? $error['message'] : $message;
            $details = $error['details'] ?? null;
        }
        $requestId = $headers['x-request-id'] ?? $headers['x-amzn-requestid'] ?? $headers['apigw-requestid'] ?? null;
        return new ApiException(
            $message,
            $code,
            $status,
            $details,
            self::retryAfter($headers['retry-after'] ?? null),
            $requestId,
            $headers,
            $raw,
        );
    }

    /** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
    private static function retryAfter(?string $value): ?int
    {
        if ($value === null || $value === '') {
            return null;
        }
        if (ctype_digit($value)) {
            return (int) $value;
        }
        $when = strtotime($value);
        return $when === false ? null : max(0, $when - time());
    }

    private function sleep(float $seconds): void
    {
        usleep((int) round($seconds * 1_000_000));
    }
}
