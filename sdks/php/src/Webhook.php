<?php

declare(strict_types=1);

namespace MailPass;

use MailPass\Exception\WebhookVerificationException;

/**
 * Verifies webhook deliveries signed per the Standard Webhooks spec
 * (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, possibly several
 * space-separated signatures while a secret is being rotated.
 *
 *     $event = MailPass\Webhook::verify(file_get_contents('php://input'), getallheaders(), $secret);
 */
final class Webhook
{
    public const DEFAULT_TOLERANCE = 300;
    private const SECRET_PREFIX = 'whsec_';

    /**
     * Checks the signature and the timestamp, then returns the decoded JSON payload.
     *
     * @param string $payload the raw request body, exactly as received (not re-encoded JSON)
     * @param array<string, string|list<string>> $headers header names in any case; PSR-7 style
     *        lists and $_SERVER keys (HTTP_WEBHOOK_ID) work too
     * @param string $secret the endpoint's secret, `whsec_<base64>`
     * @param int $tolerance seconds the timestamp may differ from now, either way
     * @param int|null $now the current Unix time (tests); null is time()
     * @return array<string, mixed>
     * @throws WebhookVerificationException
     */
    public static function verify(
        string $payload,
        array $headers,
        string $secret,
        int $tolerance = self::DEFAULT_TOLERANCE,
        ?int $now = null,
    ): array {
        $normalized = self::normalizeHeaders($headers);
        $id = $normalized['webhook-id'] ?? '';
        $timestamp = $normalized['webhook-timestamp'] ?? '';
        $signatures = $normalized['webhook-signature'] ?? '';
        if ($id === '' || $timestamp === '' || $signatures === '') {
            throw new WebhookVerificationException(
                'Missing webhook-id, webhook-timestamp or webhook-signature header'
            );
        }
        if (!preg_match('/^\d{1,15}$/', $timestamp)) {
            throw new WebhookVerificationException('Invalid webhook-timestamp');
        }
        $now ??= time();
        $sent = (int) $timestamp;
        if ($sent < $now - $tolerance) {
            throw new WebhookVerificationException('Message timestamp too old');
        }
        if ($sent > $now + $tolerance) {
            throw new WebhookVerificationException('Message timestamp too new');
        }

        $expected = self::signature($id, $sent, $payload, $secret);
        $matched = false;
        foreach (preg_split('/\s+/', trim($signatures)) ?: [] as $candidate) {
            [$version, $value] = array_pad(explode(',', $candidate, 2), 2, '');
            // Compare every v1 signature (no early exit) so timing says nothing about which matched.
            if ($version === 'v1' && hash_equals($expected, $value)) {
                $matched = true;
            }
        }
        if (!$matched) {
            throw new WebhookVerificationException('No matching signature found');
        }

        try {
            $decoded = json_decode($payload, true, 512, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new WebhookVerificationException('The payload is not JSON', 0, $e);
        }
        return is_array($decoded) ? $decoded : ['data' => $decoded];
    }

    /**
     * The `webhook-signature` header value for a message: `v1,<base64>`. For tests of your own
     * receiver; MailPass signs its deliveries itself.
     */
    public static function sign(string $msgId, int $timestamp, string $payload, string $secret): string
    {
        return 'v1,' . self::signature($msgId, $timestamp, $payload, $secret);
    }

    private static function signature(string $msgId, int $timestamp, string $payload, string $secret): string
    {
        $key = self::secretBytes($secret);
        return base64_encode(hash_hmac('sha256', $msgId . '.' . $timestamp . '.' . $payload, $key, true));
    }

    private static function secretBytes(string $secret): string
    {
        if (str_starts_with($secret, self::SECRET_PREFIX)) {
            $secret = substr($secret, strlen(self::SECRET_PREFIX));
        }
        $bytes = base64_decode($secret, true);
        if ($bytes === false || $bytes === '') {
            throw new WebhookVerificationException('The secret is not whsec_ followed by base64');
        }
        return $bytes;
    }

    /**
     * @param array<string, string|list<string>> $headers
     * @return array<string, string>
     */
    private static function normalizeHeaders(array $headers): array
    {
        $out = [];
        foreach ($headers as $name => $value) {
            $key = strtolower(str_replace('_', '-', (string) $name));
            if (str_starts_with($key, 'http-')) {
                $key = substr($key, 5);
            }
            $out[$key] = is_array($value) ? implode(' ', array_map('strval', $value)) : (string) $value;
        }
        return $out;
    }
}
