<?php

declare(strict_types=1);

namespace MailPass\Resource;

/** The account's API keys: `$client->apiKeys` (needs the `settings` permission). */
final class ApiKeys extends AbstractResource
{
    /**
     * Lists the keys; a key itself is never shown again (prefix and last four only).
     *
     * @endpoint GET /api/v1/api-keys
     * @return array<string, mixed>
     */
    public function list(): array
    {
        return $this->transport->request('GET', '/api/v1/api-keys');
    }

    /**
     * Creates a key: `['name' => ..., 'permissions' => ['mail'], 'test' => false]`. The answer
     * holds `key_id` and `key`, the only time the key is shown.
     *
     * @endpoint POST /api/v1/api-keys
     * @param array<string, mixed> $key
     * @return array<string, mixed>
     */
    public function create(array $key): array
    {
        return $this->transport->request('POST', '/api/v1/api-keys', body: $key);
    }

    /**
     * Revokes a key (the account's last key with `settings` cannot be revoked: 409).
     *
     * @endpoint DELETE /api/v1/api-keys/{key_id}
     * @return array<string, mixed>
     */
    public function revoke(string $keyId): array
    {
        return $this->transport->request(
            'DELETE',
            self::path('/api/v1/api-keys/{key_id}', ['key_id' => $keyId]),
        );
    }
}
