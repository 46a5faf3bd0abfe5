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
