<?php

declare(strict_types=1);

namespace MailPass\Resource;

/** Usage counts per hour or day: `$client->stats`. */
final class Stats extends AbstractResource
{
    /**
     * `['from' => RFC 3339, 'until' => RFC 3339, 'granularity' => 'hour' | 'day']`, and `domain`
     * for one sender domain's counts. The answer holds `buckets` (sent, delivered, failed,
     * bounced, complained, opened, clicked) and `totals`.
     *
     * @endpoint GET /api/v1/stats
     * @param array<string, mixed> $query
     * @return array<string, mixed>
     */
    public function get(array $query = []): array
    {
        return $this->transport->request('GET', '/api/v1/stats', $query);
    }
}
