<?php

declare(strict_types=1);

namespace MailPass\Resource;

/** The account's own settings: `$client->account`. */
final class Account extends AbstractResource
{
    /**
     * @endpoint GET /api/v1/account
     * @return array<string, mixed>
     */
    public function get(): array
    {
        return $this->transport->request('GET', '/api/v1/account');
    }

    /**
     * @endpoint PATCH /api/v1/account
     * @param array<string, mixed> $changes e.g. `['restrict_senders_to_verified_domains' => true]`
     * @return array<string, mixed>
     */
    public function update(array $changes): array
    {
        return $this->transport->request('PATCH', '/api/v1/account', body: $changes);
    }
}
