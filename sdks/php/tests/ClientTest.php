<?php

declare(strict_types=1);

namespace MailPass\Tests;

use MailPass\Client;
use MailPass\HttpTransport;
use PHPUnit\Framework\TestCase;

/** Configuration and the retry policy's pure parts: needs no stack. */
final class ClientTest extends TestCase
{
    /** @var array<string, string|false> */
    private array $saved = [];

    protected function setUp(): void
    {
        foreach (['MAILPASS_API_KEY', 'MAILPASS_BASE_URL'] as $name) {
            $this->saved[$name] = getenv($name);
            putenv($name);
        }
    }

    protected function tearDown(): void
    {
        foreach ($this->saved as $name => $value) {
            putenv($value === false ? $name : "$name=$value");
        }
    }

    public function testTheBaseUrlComesFromTheOptionThenTheEnvironmentThenMakeDev(): void
    {
        self::assertSame('http://127.0.0.1:8000', (new Client('mp_live_x'))->getBaseUrl());
        putenv('MAILPASS_BASE_URL=https://mail.example.com/');
        self::assertSame('https://mail.example.com', (new Client('mp_live_x'))->getBaseUrl());
        self::assertSame('https://other.example.com', (new Client('mp_live_x', ['base_url' => 'https://other.example.com']))->getBaseUrl());
    }

    public function testTheKeyComesFromTheEnvironmentWhenNull(): void
    {
        putenv('MAILPASS_API_KEY=mp_live_fromenv');
        self::assertSame(2, (new Client())->getMaxRetries());
        putenv('MAILPASS_API_KEY');
        $this->expectException(\InvalidArgumentException::class);
        new Client();
    }

    public function testNegativeRetriesAreRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        new Client('mp_live_x', ['max_retries' => -1]);
    }

    /** @return array<string, array{int, string, bool}> */
    public function answers(): array
    {
        return [
            '429' => [429, 'SEND_LIMIT_EXCEEDED', true],
            '500' => [500, 'INTERNAL_ERROR', true],
            '503 from a gateway' => [503, 'HTTP_503', true],
            'SEND_FAILED' => [500, 'SEND_FAILED', false],
            'key in flight' => [409, 'IDEMPOTENCY_IN_PROGRESS', true],
            'key reused' => [409, 'IDEMPOTENCY_CONFLICT', false],
            '400' => [400, 'VALIDATION_ERROR', false],
            '404' => [404, 'NOT_FOUND', false],
        ];
    }

    /** @dataProvider answers */
    public function testWhichAnswersAreRetried(int $status, string $code, bool $retried): void
    {
        self::assertSame($retried, HttpTransport::isRetryableStatus($status, $code));
    }

    public function testBackoffIsJitteredUnderAnExponentialCeiling(): void
    {
        foreach ([0 => 0.5, 1 => 1.0, 2 => 2.0, 3 => 4.0, 4 => 8.0, 9 => 8.0] as $attempt => $ceiling) {
            $delay = HttpTransport::backoff($attempt);
            self::assertGreaterThanOrEqual($ceiling / 2, $delay);
            self::assertLessThanOrEqual($ceiling, $delay);
        }
    }

    public function testGeneratedIdempotencyKeysAreUuid4s(): void
    {
        $a = HttpTransport::newIdempotencyKey();
        self::assertMatchesRegularExpression('/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/', $a);
        self::assertNotSame($a, HttpTransport::newIdempotencyKey());
    }
}
