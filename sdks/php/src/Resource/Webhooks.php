<?php

declare(strict_types=1);

namespace MailPass\Resource;

/**
 * Webhook endpoints, their delivery log, test events and secret rotation: `$client->webhooks`.
 * Verify what they receive with MailPass\Webhook::verify().
 */
final class Webhooks extends AbstractResource
{
    /**
     * @endpoint GET /api/v1/webhooks
     * @return array<string, mixed>
     */
    public function list(): array
    {
        return $this->transport->request('GET', '/api/v1/webhooks');
    }

    /**
     * `['url' => 'https://...', 'event_types' => ['delivery', 'bounce']]`; the answer holds the
     * signing secret (`whsec_...`).
     *
     * @endpoint POST /api/v1/webhooks
     * @param array<string, mixed> $webhook
     * @return array<string, mixed>
     */
    public function create(array $webhook): array
    {
        return $this->transport->request('POST', '/api/v1/webhooks', body: $webhook);
    }

    /**
     * @endpoint GET /api/v1/webhooks/{webhook_id}
     * @return array<string, mixed>
     */
    public function get(string $webhookId): array
    {
        return $this->transport->request('GET', self::one($webhookId));
    }

    /**
     * Changes the URL or event types, or re-enables a disabled endpoint.
     *
     * @endpoint PATCH /api/v1/webhooks/{webhook_id}
     * @param array<string, mixed> $changes
     * @return array<string, mixed>
     */
    public function update(string $webhookId, array $changes): array
    {
        return $this->transport->request('PATCH', self::one($webhookId), body: $changes);
    }

    /**
     * @endpoint DELETE /api/v1/webhooks/{webhook_id}
     * @return array<string, mixed>
     */
    public function delete(string $webhookId): array
    {
        return $this->transport->request('DELETE', self::one($webhookId));
    }

    /**
     * The delivery attempts: event, attempt number, status code or error, duration, next retry.
     *
     * @endpoint GET /api/v1/webhooks/{webhook_id}/deliveries
     * @param array<string, mixed> $query limit, cursor
     * @return array<string, mixed>
     */
    public function deliveries(string $webhookId, array $query = []): array
    {
        return $this->transport->request('GET', self::one($webhookId) . '/deliveries', $query);
    }

    /**
     * Every delivery attempt, following the cursors page by page.
     *
     * @param array<string, mixed> $query limit
     * @return \Generator<int, array<string, mixed>>
     */
    public function iterateDeliveries(string $webhookId, array $query = []): \Generator
    {
        return $this->paginate(self::one($webhookId) . '/deliveries', $query, 'deliveries');
    }

    /**
     * Sends a `test` event to the endpoint through the real delivery queue.
     *
     * @endpoint POST /api/v1/webhooks/{webhook_id}/test
     * @return array<string, mixed>
     */
    public function test(string $webhookId): array
    {
        return $this->transport->request('POST', self::one($webhookId) . '/test');
    }

    /**
     * A new secret; for 24 hours deliveries carry signatures by both the old and the new one.
     *
     * @endpoint POST /api/v1/webhooks/{webhook_id}/rotate-secret
     * @return array<string, mixed>
     */
    public function rotateSecret(string $webhookId): array
    {
        return $this->transport->request('POST', self::one($webhookId) . '/rotate-secret');
    }

    private static function one(string $webhookId): string
    {
        return self::path('/api/v1/webhooks/{webhook_id}', ['webhook_id' => $webhookId]);
    }
}
