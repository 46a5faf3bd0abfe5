<?php

declare(strict_types=1);

namespace MailPass;

use MailPass\Resource\Account;
use MailPass\Resource\ApiKeys;
use MailPass\Resource\Domains;
use MailPass\Resource\Mail;
use MailPass\Resource\Providers;
use MailPass\Resource\Stats;
use MailPass\Resource\Suppressions;
use MailPass\Resource\Templates;
use MailPass\Resource\Webhooks;

/**
 * The MailPass API client. Every method returns the decoded JSON answer as an array, exactly as
 * the API sends it (`$result['data']['message_id']`), and throws on any error.
 *
 *     $client = new MailPass\Client('mp_live_...');   // MAILPASS_BASE_URL, else `make dev`'s API
 *     $client = new MailPass\Client('mp_live_...', ['base_url' => 'https://mail.example.com']);
 *
 * Options: base_url (else MAILPASS_BASE_URL, else DEFAULT_BASE_URL), timeout (seconds, 30),
 * connect_timeout (seconds, 10), max_retries (2), headers (added to every request),
 * user_agent.
 */
final class Client
{
    public const VERSION = '0.1.0';
    /**
     * `make dev`'s API. The repository names no hosted endpoint, and a guessed public host would
     * receive API keys; set base_url or MAILPASS_BASE_URL for any other install.
     */
    public const DEFAULT_BASE_URL = 'http://127.0.0.1:8000';

    public readonly Mail $mail;
    public readonly Providers $providers;
    public readonly Domains $domains;
    public readonly Templates $templates;
    public readonly ApiKeys $apiKeys;
    public readonly Webhooks $webhooks;
    public readonly Suppressions $suppressions;
    public readonly Stats $stats;
    public readonly Account $account;

    private readonly HttpTransport $transport;

    /**
     * @param string|null $apiKey the API key; null reads MAILPASS_API_KEY
     * @param array{base_url?: string, timeout?: float|int, connect_timeout?: float|int,
     *              max_retries?: int, headers?: array<string, string>, user_agent?: string} $options
     */
    public function __construct(?string $apiKey = null, array $options = [])
    {
        $apiKey ??= self::env('MAILPASS_API_KEY');
        if ($apiKey === null || $apiKey === '') {
            throw new \InvalidArgumentException(
                'No API key: pass one to new MailPass\Client($key) or set MAILPASS_API_KEY'
            );
        }
        $baseUrl = $options['base_url'] ?? self::env('MAILPASS_BASE_URL') ?? self::DEFAULT_BASE_URL;
        $maxRetries = $options['max_retries'] ?? 2;
        if ($maxRetries < 0) {
            throw new \InvalidArgumentException('max_retries must be 0 or more');
        }
        $this->transport = new HttpTransport(
            apiKey: $apiKey,
            baseUrl: rtrim($baseUrl, '/'),
            timeout: (float) ($options['timeout'] ?? 30.0),
            connectTimeout: (float) ($options['connect_timeout'] ?? 10.0),
            maxRetries: $maxRetries,
            extraHeaders: $options['headers'] ?? [],
            userAgent: $options['user_agent'] ?? 'mailpass-php/' . self::VERSION . ' PHP/' . PHP_VERSION,
        );
        $this->mail = new Mail($this->transport);
        $this->providers = new Providers($this->transport);
        $this->domains = new Domains($this->transport);
        $this->templates = new Templates($this->transport);
        $this->apiKeys = new ApiKeys($this->transport);
        $this->webhooks = new Webhooks($this->transport);
        $this->suppressions = new Suppressions($this->transport);
        $this->stats = new Stats($this->transport);
        $this->account = new Account($this->transport);
    }

    public function getBaseUrl(): string
    {
        return $this->transport->baseUrl;
    }

    public function getMaxRetries(): int
    {
        return $this->transport->maxRetries;
    }

    /**
     * A raw call, for endpoints newer than this SDK. Same errors and retries as the resources.
     *
     * @param array<string, mixed> $query
     * @param array<string, string> $headers
     * @return array<string, mixed>
     */
    public function request(
        string $method,
        string $path,
        array $query = [],
        mixed $body = null,
        array $headers = [],
    ): array {
        return $this->transport->request($method, $path, $query, $body, $headers);
    }

    private static function env(string $name): ?string
    {
        $value = getenv($name);
        return $value === false || $value === '' ? null : $value;
    }
}
