<?php

declare(strict_types=1);

namespace MailPass\Resource;

/** Stored templates rendered at send time (`template_id` + `variables`): `$client->templates`. */
final class Templates extends AbstractResource
{
    /**
     * @endpoint GET /api/v1/templates
     * @return array<string, mixed>
     */
    public function list(): array
    {
        return $this->transport->request('GET', '/api/v1/templates');
    }

    /**
     * @endpoint POST /api/v1/templates
     * @param array<string, mixed> $template name, subject, html, text
     * @return array<string, mixed>
     */
    public function create(array $template): array
    {
        return $this->transport->request('POST', '/api/v1/templates', body: $template);
    }

    /**
     * @endpoint GET /api/v1/templates/{template_id}
     * @return array<string, mixed>
     */
    public function get(string $templateId): array
    {
        return $this->transport->request('GET', self::one($templateId));
    }

    /**
     * @endpoint PATCH /api/v1/templates/{template_id}
     * @param array<string, mixed> $changes
     * @return array<string, mixed>
     */
    public function update(string $templateId, array $changes): array
    {
        return $this->transport->request('PATCH', self::one($templateId), body: $changes);
    }

    /**
     * @endpoint DELETE /api/v1/templates/{template_id}
     * @return array<string, mixed>
     */
    public function delete(string $templateId): array
    {
        return $this->transport->request('DELETE', self::one($templateId));
    }

    private static function one(string $templateId): string
    {
        return self::path('/api/v1/templates/{template_id}', ['template_id' => $templateId]);
    }
}
