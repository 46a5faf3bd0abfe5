<?php

declare(strict_types=1);

namespace MailPass\Resource;

/** Addresses that are never sent to (bounces, complaints, manual): `$client->suppressions`. */
final class Suppressions extends AbstractResource
{
    /**
     * @endpoint GET /api/v1/suppressions
     * @param array<string, mixed> $query reason, limit, cursor (where the API supports them)
     * @return array<string, mixed>
     */
    public function list(array $query = []): array
    {
        return $this->transport->request('GET', '/api/v1/suppressions', $query);
    }

    /**
     * Every suppressed address (or those of one `reason`), following the cursors page by page.
     *
     * @param array<string, mixed> $query reason, limit
     * @return \Generator<int, array<string, mixed>>
     */
    public function iterate(array $query = []): \Generator
    {
        return $this->paginate('/api/v1/suppressions', $query, 'suppressions');
    }

    /**
     * Suppresses an address by hand.
     *
     * @endpoint POST /api/v1/suppressions
     * @return array<string, mixed>
     */
    public function add(string $email, ?string $reason = null): array
    {
        $body = ['email' => $email];
        if ($reason !== null) {
            $body['reason'] = $reason;
        }
        return $this->transport->request('POST', '/api/v1/suppressions', body: $body);
    }

    /**
     * Lets the address receive mail again.
     *
     * @endpoint DELETE /api/v1/suppressions/{email}
     * @return array<string, mixed>
     */
    public function remove(string $email): array
    {
        return $this->transport->request(
            'DELETE',
            self::path('/api/v1/suppressions/{email}', ['email' => $email]),
        );
    }
}
