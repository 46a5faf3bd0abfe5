<?php

declare(strict_types=1);

namespace MailPass\Resource;

use MailPass\HttpTransport;

/**
 * Shared plumbing for the resources. Each public method of a resource carries an
 * `@endpoint METHOD /path` tag naming the operation of openapi.json it calls: the coverage check
 * (tests/sdk/php) matches those tags against openapi.json, so a new endpoint without a method
 * fails the build.
 *
 * @internal
 */
abstract class AbstractResource
{
    public function __construct(protected readonly HttpTransport $transport)
    {
    }

    /**
     * Fills `{name}` placeholders with URL-encoded values, so an id or an email address can
     * never change the path's shape.
     *
     * @param array<string, string> $params
     */
    protected static function path(string $template, array $params = []): string
    {
        $replace = [];
        foreach ($params as $name => $value) {
            if ($value === '') {
                throw new \InvalidArgumentException(sprintf('%s must not be empty', $name));
            }
            $replace['{' . $name . '}'] = rawurlencode($value);
        }
        return strtr($template, $replace);
    }

    /**
     * Every item of a cursor-paged listing (`{"data": {"<key>": [...], "next_cursor": ...}}`),
     * fetching the next page only when the caller has consumed this one.
     *
     * @param array<string, mixed> $query
     * @return \Generator<int, array<string, mixed>>
     */
    protected function paginate(string $path, array $query, string $itemsKey): \Generator
    {
        do {
            $page = $this->transport->request('GET', $path, $query);
            $data = is_array($page['data'] ?? null) ? $page['data'] : [];
            $items = is_array($data[$itemsKey] ?? null) ? $data[$itemsKey] : [];
            foreach ($items as $item) {
                yield $item;
            }
            $cursor = $data['next_cursor'] ?? null;
            $query['cursor'] = $cursor;
        } while (is_string($cursor) && $cursor !== '');
    }
}
