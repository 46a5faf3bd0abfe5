<?php

declare(strict_types=1);

namespace MailPass\Tests;

use MailPass\Client;
use MailPass\Exception\ApiException;

final class MailTest extends StackTestCase
{
    public function testSendThenStatus(): void
    {
        $client = self::client();
        $subject = self::unique('status');
        $sent = $client->mail->send([
            'to' => 'ada@example.com',
            'subject' => $subject,
            'text' => 'plain',
            'html' => '<p>rich</p>',
            'tags' => ['php-sdk'],
            'metadata' => ['order' => '1001'],
        ]);
        self::assertTrue($sent['success']);
        $id = $sent['data']['message_id'];
        self::assertSame('sent', $sent['data']['status']);

        $status = $client->mail->status($id);
        self::assertSame($id, $status['data']['message']['message_id']);
        self::assertSame($subject, $status['data']['message']['subject']);
        self::assertSame(['php-sdk'], $status['data']['message']['tags']);
        self::assertIsArray($status['data']['events']);
    }

    public function testBaseUrlOptionOverridesTheEnvironment(): void
    {
        $client = new Client(self::env('MAILPASS_API_KEY'), ['base_url' => self::env('MAILPASS_BASE_URL') . '/']);
        self::assertSame(self::env('MAILPASS_BASE_URL'), $client->getBaseUrl());
        $sent = $client->mail->send(['to' => 'user@example.com', 'subject' => 'Hi', 'text' => 'Hi']);
        self::assertTrue($sent['success']);

        $nowhere = new Client(self::env('MAILPASS_API_KEY'), ['base_url' => 'http://127.0.0.1:9', 'max_retries' => 0]);
        $this->expectException(\MailPass\Exception\TransportException::class);
        $nowhere->mail->send(['to' => 'user@example.com', 'subject' => 'Hi', 'text' => 'Hi']);
    }

    public function testSendBatchTakesAListOrTheWholeBody(): void
    {
        $client = self::client();
        $list = $client->mail->sendBatch([
            ['to' => 'one@example.com', 'subject' => 'one', 'text' => '1'],
            ['to' => 'two@example.com', 'subject' => 'two', 'text' => '2'],
        ]);
        self::assertSame(2, $list['data']['total']);
        self::assertSame(2, $list['data']['queued']);
        self::assertSame(['one@example.com', 'two@example.com'], array_column($list['data']['messages'], 'to'));

        $body = $client->mail->sendBatch([
            'messages' => [['to' => 'three@example.com', 'subject' => 'three', 'text' => '3']],
            'from_name' => 'Batch sender',
        ]);
        self::assertSame(1, $body['data']['queued']);
        $id = $body['data']['messages'][0]['message_id'];
        self::assertSame($id, $client->mail->status($id)['data']['message']['message_id']);
    }

    public function testAScheduledSendCanBeCanceled(): void
    {
        $client = self::client();
        $later = (new \DateTimeImmutable('+2 hours'))->format(DATE_ATOM);
        $sent = $client->mail->send(['to' => 'later@example.com', 'subject' => 'later', 'text' => 'x', 'scheduled_at' => $later]);
        $id = $sent['data']['message_id'];
        self::assertSame('scheduled', $sent['data']['status']);

        $canceled = $client->mail->cancel($id);
        self::assertSame(['message_id' => $id, 'status' => 'canceled'], $canceled['data']);
        self::assertSame('canceled', $client->mail->status($id)['data']['message']['status']);

        $e = self::catchApi(fn () => $client->mail->cancel($id));
        self::assertSame('NOT_CANCELABLE', $e->getErrorCode());
        self::assertSame(409, $e->getStatusCode());
    }

    public function testTheSameIdempotencyKeySendsOnce(): void
    {
        $client = self::client();
        $key = self::unique('order');
        $mail = ['to' => 'buyer@example.com', 'subject' => 'once', 'text' => 'once'];
        $first = $client->mail->send($mail, ['idempotency_key' => $key]);
        $again = $client->mail->send($mail, ['idempotency_key' => $key]);
        self::assertSame($first, $again);

        $e = self::catchApi(fn () => $client->mail->send(['text' => 'changed'] + $mail, ['idempotency_key' => $key]));
        self::assertSame('IDEMPOTENCY_CONFLICT', $e->getErrorCode());
        self::assertSame(409, $e->getStatusCode());
    }

    public function testValidationErrorsCarryTheApisCodeAndDetails(): void
    {
        $e = self::catchApi(fn () => self::client()->mail->send(['to' => 'not-an-address', 'subject' => 'x', 'text' => 'x']));
        self::assertSame('VALIDATION_ERROR', $e->getErrorCode());
        self::assertSame(400, $e->getStatusCode());
        self::assertIsArray($e->getDetails());
        self::assertContains('to', array_map(static fn ($d) => explode('.', $d['field'])[0], $e->getDetails()));
        self::assertNull($e->getRetryAfter());
    }

    public function testUnknownMessageIsNotFound(): void
    {
        $e = self::catchApi(fn () => self::client()->mail->status('msg_does_not_exist'));
        self::assertSame('NOT_FOUND', $e->getErrorCode());
        self::assertSame(404, $e->getStatusCode());
    }

    public function testABadKeyIsUnauthorized(): void
    {
        $e = self::catchApi(fn () => (new Client('mp_live_wrong'))->mail->send(['to' => 'a@example.com', 'subject' => 'x', 'text' => 'x']));
        self::assertSame('UNAUTHORIZED', $e->getErrorCode());
        self::assertSame(401, $e->getStatusCode());
    }

    public function testAMissingKeyFailsBeforeAnyRequest(): void
    {
        $saved = getenv('MAILPASS_API_KEY');
        putenv('MAILPASS_API_KEY');
        try {
            $this->expectException(\InvalidArgumentException::class);
            new Client();
        } finally {
            putenv('MAILPASS_API_KEY=' . $saved);
        }
    }

    /** @param callable(): mixed $call */
    public static function catchApi(callable $call): ApiException
    {
        try {
            $call();
        } catch (ApiException $e) {
            return $e;
        }
        self::fail('expected an ApiException');
    }
}
