<?php

declare(strict_types=1);

namespace MailPass\Tests;

use MailPass\Client;
use MailPass\Exception\ApiException;
use MailPass\Exception\TransportException;

/**
 * Retries through the fault-injecting proxy that tests/sdk/php/test_php_sdk.py puts in front of
 * the API (MAILPASS_PROXY_URL). The proxy logs every request; the pytest side then counts the
 * mail the SMTP catcher received.
 */
final class RetryTest extends StackTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        if (self::env('MAILPASS_PROXY_URL') === '') {
            self::markTestSkipped('needs the proxy from tests/sdk/php/test_php_sdk.py');
        }
        self::control('POST', '/__proxy/reset');
    }

    /** @return array<string, array{bool}> */
    public function lostAnswers(): array
    {
        return [
            // The API sent the mail, then the answer was lost: only the Idempotency-Key stops a second send.
            'answer lost after the send' => [true],
            // The 503 came before the API saw anything (a load balancer, a cold start).
            'refused before the API' => [false],
        ];
    }

    /** @dataProvider lostAnswers */
    public function testASendRetriedAfterA503IsDeliveredOnce(bool $forward): void
    {
        self::fault(['method' => 'POST', 'path' => '/api/v1/mail/send', 'status' => 503, 'forward' => $forward]);
        $subject = sprintf('retry-%s-%s', $forward ? 'lost' : 'refused', self::env('MAILPASS_TEST_TOKEN'));
        $sent = self::viaProxy()->mail->send(['to' => 'retry@example.com', 'subject' => $subject, 'text' => 'once']);
        self::assertTrue($sent['success']);

        $log = self::log();
        self::assertSame([503, 200], array_column($log, 'status'));
        self::assertNotEmpty($log[0]['idempotency_key']);
        self::assertSame($log[0]['idempotency_key'], $log[1]['idempotency_key']);
        self::assertSame($sent['data']['message_id'], self::client()->mail->status($sent['data']['message_id'])['data']['message']['message_id']);
        // tests/sdk/php/test_php_sdk.py checks the catcher got exactly one mail with $subject.
    }

    public function testNoRetryAndNoGeneratedKeyWhenRetriesAreOff(): void
    {
        self::fault(['method' => 'POST', 'path' => '/api/v1/mail/send', 'status' => 503]);
        $e = MailTest::catchApi(fn () => self::viaProxy(['max_retries' => 0])->mail->send(['to' => 'a@example.com', 'subject' => 'x', 'text' => 'x']));
        self::assertSame(503, $e->getStatusCode());
        self::assertSame('SERVICE_UNAVAILABLE', $e->getErrorCode());
        $log = self::log();
        self::assertCount(1, $log);
        self::assertNull($log[0]['idempotency_key']);
    }

    public function testAPostWithoutAnIdempotencyKeyIsNotRetried(): void
    {
        self::fault(['method' => 'POST', 'path' => '/api/v1/templates', 'status' => 503]);
        $e = MailTest::catchApi(fn () => self::viaProxy()->templates->create(['name' => self::unique('t'), 'subject' => 's', 'text' => 't']));
        self::assertSame(503, $e->getStatusCode());
        self::assertCount(1, self::log());
    }

    public function testAPatchWithoutAnIdempotencyKeyIsNotRetried(): void
    {
        self::fault(['method' => 'PATCH', 'path' => '/api/v1/account', 'status' => 503]);
        $e = MailTest::catchApi(fn () => self::viaProxy()->account->update(['restrict_senders_to_verified_domains' => false]));
        self::assertSame(503, $e->getStatusCode());
        self::assertCount(1, self::log());
    }

    public function testASendWhoseKeyIsStillInFlightIsRetried(): void
    {
        self::fault(['method' => 'POST', 'path' => '/api/v1/mail/send', 'status' => 409, 'code' => 'IDEMPOTENCY_IN_PROGRESS']);
        $sent = self::viaProxy()->mail->send(['to' => 'a@example.com', 'subject' => 'in flight', 'text' => 'x']);
        self::assertTrue($sent['success']);
        self::assertSame([409, 200], array_column(self::log(), 'status'));
    }

    public function testOtherConflictsAreNotRetried(): void
    {
        self::fault(['method' => 'POST', 'path' => '/api/v1/mail/send', 'status' => 409, 'code' => 'IDEMPOTENCY_CONFLICT']);
        $e = MailTest::catchApi(fn () => self::viaProxy()->mail->send(['to' => 'a@example.com', 'subject' => 'x', 'text' => 'x']));
        self::assertSame('IDEMPOTENCY_CONFLICT', $e->getErrorCode());
        self::assertCount(1, self::log());
    }

    public function testSendFailedIsNotRetried(): void
    {
        self::fault(['method' => 'POST', 'path' => '/api/v1/mail/send', 'status' => 502, 'code' => 'SEND_FAILED']);
        $e = MailTest::catchApi(fn () => self::viaProxy()->mail->send(['to' => 'a@example.com', 'subject' => 'x', 'text' => 'x']));
        self::assertSame('SEND_FAILED', $e->getErrorCode());
        self::assertCount(1, self::log());
    }

    public function testA429IsRetriedAfterRetryAfter(): void
    {
        self::fault(['method' => 'GET', 'path' => '/api/v1/templates', 'status' => 429, 'code' => 'RATE_LIMITED', 'retry_after' => 1]);
        $started = microtime(true);
        $list = self::viaProxy()->templates->list();
        self::assertTrue($list['success']);
        self::assertSame([429, 200], array_column(self::log(), 'status'));
        self::assertGreaterThanOrEqual(0.95, microtime(true) - $started, 'waited for Retry-After');
    }

    public function testALongRetryAfterIsLeftToTheCaller(): void
    {
        self::fault(['method' => 'GET', 'path' => '/api/v1/templates', 'status' => 429, 'code' => 'RATE_LIMITED', 'retry_after' => 3600]);
        $e = MailTest::catchApi(fn () => self::viaProxy()->templates->list());
        self::assertSame(3600, $e->getRetryAfter());
        self::assertSame('RATE_LIMITED', $e->getErrorCode());
        self::assertCount(1, self::log());
    }

    public function testRetriesStopAtMaxRetries(): void
    {
        self::fault(['method' => 'GET', 'path' => '/api/v1/templates', 'status' => 500, 'times' => 10]);
        $e = MailTest::catchApi(fn () => self::viaProxy(['max_retries' => 2])->templates->list());
        self::assertSame(500, $e->getStatusCode());
        self::assertCount(3, self::log());
    }

    public function testAnAnswerThatIsNotTheEnvelopeStillThrowsApiException(): void
    {
        self::fault(['method' => 'GET', 'path' => '/api/v1/templates', 'status' => 502, 'raw' => '<html>Bad gateway</html>', 'times' => 10]);
        $e = MailTest::catchApi(fn () => self::viaProxy(['max_retries' => 0])->templates->list());
        self::assertSame('HTTP_502', $e->getErrorCode());
        self::assertSame('<html>Bad gateway</html>', $e->getRawBody());
    }

    public function testConnectionFailuresThrowTransportException(): void
    {
        $client = new Client(self::env('MAILPASS_API_KEY'), ['base_url' => 'http://127.0.0.1:9', 'max_retries' => 1]);
        try {
            $client->templates->list();
            self::fail('expected a TransportException');
        } catch (TransportException $e) {
            self::assertSame(CURLE_COULDNT_CONNECT, $e->getCurlErrno());
            self::assertFalse($e->isTimeout());
        }
    }

    /** @param array<string, mixed> $options */
    private static function viaProxy(array $options = []): Client
    {
        return new Client(null, ['base_url' => self::env('MAILPASS_PROXY_URL')] + $options);
    }

    /** @param array<string, mixed> $fault */
    private static function fault(array $fault): void
    {
        self::control('POST', '/__proxy/faults', $fault);
    }

    /** @return list<array{method: string, path: string, status: int, idempotency_key: ?string}> */
    private static function log(): array
    {
        return self::control('GET', '/__proxy/log')['requests'];
    }

    /**
     * @param array<string, mixed>|null $body
     * @return array<string, mixed>
     */
    private static function control(string $method, string $path, ?array $body = null): array
    {
        $curl = curl_init(self::env('MAILPASS_PROXY_URL') . $path);
        curl_setopt_array($curl, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_HTTPHEADER => ['Content-Type: application/json'],
            CURLOPT_POSTFIELDS => $body === null ? '' : json_encode($body, JSON_THROW_ON_ERROR),
            CURLOPT_TIMEOUT => 10,
        ]);
        $raw = curl_exec($curl);
        self::assertIsString($raw);
        self::assertSame(200, curl_getinfo($curl, CURLINFO_RESPONSE_CODE), $raw);
        return json_decode($raw, true, 512, JSON_THROW_ON_ERROR);
    }
}
