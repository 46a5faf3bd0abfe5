<?php

declare(strict_types=1);

namespace MailPass\Resource;

/** Sender domains and their DNS verification: `$client->domains`. */
final class Domains extends AbstractResource
{
    /**
     * @endpoint GET /api/v1/domains
     * @return array<string, mixed>
     */
    public function list(): array
    {
        return $this->transport->request('GET', '/api/v1/domains');
    }

    /**
     * Adds a domain; the answer lists the DNS records to publish before verify().
     *
     * @endpoint POST /api/v1/domains
     * @param array<string, mixed>|string $domain `['name' => 'example.com']` or just the name
     * @return array<string, mixed>
     */
    public function create(array|string $domain): array
    {
        $body = is_string($domain) ? ['name' => $domain] : $domain;
        return $this->transport->request('POST', '/api/v1/domains', body: $body);
    }

    /**
     * @endpoint GET /api/v1/domains/{domain_id}
     * @return array<string, mixed>
     */
    public function get(string $domainId): array
    {
        return $this->transport->request('GET', self::one($domainId));
    }

    /**
     * @endpoint DELETE /api/v1/domains/{domain_id}
     * @return array<string, mixed>
     */
    public function delete(string $domainId): array
    {
        return $this->transport->request('DELETE', self::one($domainId));
    }

    /**
     * Checks the domain's DNS records now.
     *
     * @endpoint POST /api/v1/domains/{domain_id}/verify
     * @return array<string, mixed>
     */
    public function verify(string $domainId): array
    {
        return $this->transport->request('POST', self::one($domainId) . '/verify');
    }

    private static function one(string $domainId): string
    {
        return self::path('/api/v1/domains/{domain_id}', ['domain_id' => $domainId]);
    }
}
