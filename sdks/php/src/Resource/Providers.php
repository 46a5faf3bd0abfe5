<?php

declare(strict_types=1);

namespace MailPass\Resource;

/** SMTP and SES providers, the default and the fallback order: `$client->providers`. */
final class Providers extends AbstractResource
{
    /**
     * @endpoint GET /api/v1/smtp-providers
     * @return array<string, mixed>
     */
    public function list(): array
    {
        return $this->transport->request('GET', '/api/v1/smtp-providers');
    }

    /**
     * @endpoint POST /api/v1/smtp-providers
     * @param array<string, mixed> $provider name, kind ("smtp" | "ses"), host, port, security, ...
     * @return array<string, mixed>
     */
    public function create(array $provider): array
    {
        return $this->transport->request('POST', '/api/v1/smtp-providers', body: $provider);
    }

    /**
     * @endpoint GET /api/v1/smtp-providers/{provider_id}
     * @return array<string, mixed>
     */
    public function get(string $providerId): array
    {
        return $this->transport->request('GET', self::one($providerId));
    }

    /**
     * @endpoint PATCH /api/v1/smtp-providers/{provider_id}
     * @param array<string, mixed> $changes
     * @return array<string, mixed>
     */
    public function update(string $providerId, array $changes): array
    {
        return $this->transport->request('PATCH', self::one($providerId), body: $changes);
    }

    /**
     * @endpoint DELETE /api/v1/smtp-providers/{provider_id}
     * @return array<string, mixed>
     */
    public function delete(string $providerId): array
    {
        return $this->transport->request('DELETE', self::one($providerId));
    }

    /**
     * @endpoint POST /api/v1/smtp-providers/{provider_id}/default
     * @return array<string, mixed>
     */
    public function makeDefault(string $providerId): array
    {
        return $this->transport->request('POST', self::one($providerId) . '/default');
    }

    /**
     * Connects to the provider and checks it accepts the account's credentials.
     *
     * @endpoint POST /api/v1/smtp-providers/{provider_id}/test
     * @return array<string, mixed>
     */
    public function test(string $providerId): array
    {
        return $this->transport->request('POST', self::one($providerId) . '/test');
    }

    /**
     * The providers tried, in order, when the default cannot take a message.
     *
     * @endpoint PUT /api/v1/smtp-providers/fallbacks
     * @param list<string> $providerIds
     * @return array<string, mixed>
     */
    public function setFallbacks(array $providerIds): array
    {
        return $this->transport->request(
            'PUT',
            '/api/v1/smtp-providers/fallbacks',
            body: ['provider_ids' => $providerIds],
        );
    }

    private static function one(string $providerId): string
    {
        return self::path('/api/v1/smtp-providers/{provider_id}', ['provider_id' => $providerId]);
    }
}
