<?php

declare(strict_types=1);

namespace MailPass\Tests;

use MailPass\Client;

/**
 * Endpoints of issue 12 (message log, stats, API keys over HTTP, operable webhooks, manual
 * suppressions). Each test skips while its endpoint is missing from openapi.json and runs by
 * itself once it is there.
 */
final class Issue12Test extends StackTestCase
{
    public function testTheMessageLogFiltersAndFollowsCursors(): void
    {
        self::requireEndpoint('GET', '/api/v1/mail/messages');
        $client = self::client();
        $tag = self::unique('log');
        $ids = [];
        foreach (['first', 'second', 'third'] as $subject) {
            $ids[] = $client->mail->send(['to' => 'log@example.com', 'subject' => $subject, 'text' => 'x', 'tags' => [$tag]])['data']['message_id'];
        }

        // One page: newest first, at most `limit`, and a cursor since more remain.
        $page = $client->mail->list(['tag' => $tag, 'limit' => 2]);
        $onPage = array_column($page['data']['messages'], 'message_id');
        self::assertNotEmpty($onPage);
        self::assertSame(array_slice(array_reverse($ids), 0, count($onPage)), $onPage, 'newest first');
        self::assertLessThanOrEqual(2, count($onPage));
        self::assertIsString($page['data']['next_cursor']);

        $all = iterator_to_array($client->mail->iterate(['tag' => $tag, 'limit' => 1]), false);
        self::assertSame(array_reverse($ids), array_column($all, 'message_id'));
        self::assertSame('third', $all[0]['subject']);

        // Combined filters may give short pages that still have a next_cursor: iterate.
        $sentOnes = $client->mail->iterate(['tag' => $tag, 'status' => 'sent', 'to' => 'log@example.com']);
        self::assertSame(array_reverse($ids), array_column(iterator_to_array($sentOnes, false), 'message_id'));
        self::assertSame([], iterator_to_array($client->mail->iterate(['tag' => $tag, 'status' => 'failed']), false));

        $e = MailTest::catchApi(fn () => $client->mail->list(['status' => 'not-a-status']));
        self::assertSame(400, $e->getStatusCode());
    }

    public function testStats(): void
    {
        self::requireEndpoint('GET', '/api/v1/stats');
        $client = self::client();
        $client->mail->send(['to' => 'stats@example.com', 'subject' => 'stats', 'text' => 'x']);
        $stats = $client->stats->get([
            'from' => (new \DateTimeImmutable('-1 day'))->format(DATE_ATOM),
            'until' => (new \DateTimeImmutable('+1 hour'))->format(DATE_ATOM),
            'granularity' => 'hour',
        ]);
        $data = $stats['data'];
        self::assertSame('hour', $data['granularity']);
        self::assertIsArray($data['buckets']);
        self::assertGreaterThanOrEqual(1, $data['totals']['sent']);
        foreach (['start', 'sent', 'delivered', 'failed', 'bounced', 'complained', 'opened', 'clicked'] as $field) {
            self::assertArrayHasKey($field, $data['buckets'][0]);
        }
    }

    public function testApiKeysCreateUseRevoke(): void
    {
        self::requireEndpoint('POST', '/api/v1/api-keys');
        $client = self::client();
        $created = $client->apiKeys->create(['name' => self::unique('php'), 'permissions' => ['mail']]);
        $keyId = $created['data']['key_id'];
        $key = $created['data']['key'];

        $listed = $client->apiKeys->list()['data'];
        self::assertContains($keyId, array_column($listed['api_keys'], 'key_id'));
        self::assertStringNotContainsString($key, json_encode($listed, JSON_THROW_ON_ERROR), 'the key is shown once');

        $withNewKey = new Client($key);
        self::assertTrue($withNewKey->mail->send(['to' => 'k@example.com', 'subject' => 'k', 'text' => 'k'])['success']);
        self::assertSame('FORBIDDEN', MailTest::catchApi(fn () => $withNewKey->apiKeys->list())->getErrorCode());

        self::assertTrue($client->apiKeys->revoke($keyId)['data']['revoked']);
        $e = MailTest::catchApi(fn () => $withNewKey->mail->send(['to' => 'k@example.com', 'subject' => 'k', 'text' => 'k']));
        self::assertSame('UNAUTHORIZED', $e->getErrorCode());
    }

    public function testWebhookGetUpdateTestDeliveriesRotate(): void
    {
        self::requireEndpoint('POST', '/api/v1/webhooks/{webhook_id}/rotate-secret');
        $client = self::client();
        $created = $client->webhooks->create(['url' => self::env('MAILPASS_BASE_URL') . '/hooks/php', 'event_types' => ['delivery']]);
        $id = $created['data']['webhook_id'];

        self::assertSame(self::env('MAILPASS_BASE_URL') . '/hooks/php', $client->webhooks->get($id)['data']['url']);
        $updated = $client->webhooks->update($id, ['url' => self::env('MAILPASS_BASE_URL') . '/hooks/php2', 'event_types' => ['delivery', 'bounce']]);
        self::assertSame(['delivery', 'bounce'], $updated['data']['event_types']);

        self::assertSame('test', $client->webhooks->test($id)['data']['event_type']);
        $deliveries = $client->webhooks->deliveries($id, ['limit' => 10])['data'];
        self::assertSame($id, $deliveries['webhook_id']);
        self::assertIsArray($deliveries['deliveries']);
        self::assertIsArray(iterator_to_array($client->webhooks->iterateDeliveries($id), false));

        $rotated = $client->webhooks->rotateSecret($id)['data']['secret'];
        self::assertStringStartsWith('whsec_', $rotated);
        self::assertNotSame($created['data']['secret'], $rotated);
        $client->webhooks->delete($id);
    }

    public function testSuppressAnAddressByHand(): void
    {
        self::requireEndpoint('POST', '/api/v1/suppressions');
        $client = self::client();
        $email = self::unique('blocked') . '@example.com';
        $added = $client->suppressions->add($email, 'asked by phone');
        self::assertSame($email, $added['data']['email']);
        self::assertContains($email, array_column(iterator_to_array($client->suppressions->iterate(['limit' => 1]), false), 'email'));
        // A suppressed address is a SEND_FAILED (500), which is never retried.
        $e = MailTest::catchApi(fn () => $client->mail->send(['to' => $email, 'subject' => 'x', 'text' => 'x']));
        self::assertSame('SEND_FAILED', $e->getErrorCode());
        self::assertSame(500, $e->getStatusCode());
        self::assertSame($email, $client->suppressions->remove($email)['data']['email']);
        self::assertNotContains($email, array_column($client->suppressions->list()['data']['suppressions'], 'email'));
    }
}
