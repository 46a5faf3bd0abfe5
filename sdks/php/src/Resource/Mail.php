<?php

declare(strict_types=1);

namespace MailPass\Resource;

use MailPass\HttpTransport;

/** Sending, status, the message log and cancellation: `$client->mail`. */
final class Mail extends AbstractResource
{
    /**
     * Sends one message. `$options['idempotency_key']` sets the Idempotency-Key; without it, one
     * is generated when retries are on, so a retried send is never delivered twice.
     *
     * @endpoint POST /api/v1/mail/send
     * @param array<string, mixed> $message to, subject, html, text, template_id, variables, ...
     * @param array{idempotency_key?: string} $options
     * @return array<string, mixed> `['success' => true, 'data' => ['message_id' => ..., 'status' => ...]]`
     */
    public function send(array $message, array $options = []): array
    {
        return $this->transport->request(
            'POST',
            '/api/v1/mail/send',
            body: $message,
            headers: $this->idempotency($options),
        );
    }

    /**
     * Queues up to the API's batch limit of messages in one call. Takes the request body
     * (`['messages' => [...], 'from_email' => ...]`) or just the list of messages.
     *
     * @endpoint POST /api/v1/mail/send-batch
     * @param array<mixed> $batch
     * @param array{idempotency_key?: string} $options
     * @return array<string, mixed>
     */
    public function sendBatch(array $batch, array $options = []): array
    {
        $body = array_is_list($batch) ? ['messages' => $batch] : $batch;
        return $this->transport->request(
            'POST',
            '/api/v1/mail/send-batch',
            body: $body,
            headers: $this->idempotency($options),
        );
    }

    /**
     * @endpoint GET /api/v1/mail/status/{message_id}
     * @return array<string, mixed> `['data' => ['message' => [...], 'events' => [...]]]`
     */
    public function status(string $messageId): array
    {
        return $this->transport->request(
            'GET',
            self::path('/api/v1/mail/status/{message_id}', ['message_id' => $messageId]),
        );
    }

    /**
     * One page of the message log, newest first. Filters: status, to, tag, from, until
     * (RFC 3339); limit (1..100) and cursor (the previous page's `next_cursor`).
     *
     * @endpoint GET /api/v1/mail/messages
     * @param array<string, mixed> $query
     * @return array<string, mixed> `['data' => ['messages' => [...], 'next_cursor' => ?string]]`
     */
    public function list(array $query = []): array
    {
        return $this->transport->request('GET', '/api/v1/mail/messages', $query);
    }

    /**
     * Every message matching the filters, following the cursors page by page.
     *
     * @param array<string, mixed> $query
     * @return \Generator<int, array<string, mixed>>
     */
    public function iterate(array $query = []): \Generator
    {
        return $this->paginate('/api/v1/mail/messages', $query, 'messages');
    }

    /**
     * Cancels a scheduled message that has not been handed off yet (else NOT_CANCELABLE, 409).
     *
     * @endpoint POST /api/v1/mail/cancel/{message_id}
     * @return array<string, mixed>
     */
    public function cancel(string $messageId): array
    {
        return $this->transport->request(
            'POST',
            self::path('/api/v1/mail/cancel/{message_id}', ['message_id' => $messageId]),
        );
    }

    /**
     * @param array{idempotency_key?: string} $options
     * @return array<string, string>
     */
    private function idempotency(array $options): array
    {
        $key = $options['idempotency_key'] ?? null;
        if ($key === null && $this->transport->maxRetries > 0) {
            $key = HttpTransport::newIdempotencyKey();
        }
        return $key === null ? [] : ['Idempotency-Key' => $key];
    }
}
