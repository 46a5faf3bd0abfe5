<?php

declare(strict_types=1);

namespace MailPass\Tests;

use MailPass\Webhook;

/**
 * The files under examples/ are what README.md shows (a pytest check keeps them equal); here
 * each one runs, unchanged, against the local stack.
 */
final class ExamplesTest extends StackTestCase
{
    /**
     * @param array<string, string> $env
     * @return array{int, string, string}
     */
    private static function runExample(string $example, array $env = []): array
    {
        return self::runFile(dirname(__DIR__) . '/examples/' . $example, $env);
    }

    /**
     * @param array<string, string> $env
     * @return array{int, string, string}
     */
    private static function runFile(string $file, array $env = []): array
    {
        $process = proc_open(
            [PHP_BINARY, $file],
            [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
            null,
            array_merge(getenv(), $env),
        );
        self::assertIsResource($process);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        return [proc_close($process), $out, $err];
    }

    public function testTheProductPageSnippetSendsAsPrinted(): void
    {
        // The snippet as the product page prints it, with its placeholder key replaced by the
        // seeded one (what every user does) and the autoloader's path made absolute (it runs
        // from a temporary copy). The base URL comes from MAILPASS_BASE_URL.
        $source = (string) file_get_contents(dirname(__DIR__) . '/examples/quickstart.php');
        $printed = "\$client = new MailPass\\Client('mp_live_YOUR_KEY');\n"
            . "\$result = \$client->mail->send(['to' => 'user@example.com', 'subject' => 'Hello', 'html' => '<p>Hello World</p>']);\n"
            . "echo \$result['data']['message_id'];\n";
        self::assertStringEndsWith($printed, $source);
        $base = (string) tempnam(sys_get_temp_dir(), 'quickstart');
        $copy = $base . '.php';
        file_put_contents($copy, strtr($source, [
            "'mp_live_YOUR_KEY'" => var_export(self::env('MAILPASS_API_KEY'), true),
            "__DIR__ . '/../autoload.php'" => var_export(dirname(__DIR__) . '/autoload.php', true),
        ]));
        try {
            [$code, $out, $err] = self::runFile($copy);
        } finally {
            unlink($copy);
            unlink($base);
        }
        self::assertSame(0, $code, $err . $out);
        self::assertMatchesRegularExpression('/^\S+$/', $out, 'prints the message id alone');
        $status = self::client()->mail->status($out);
        self::assertSame($out, $status['data']['message']['message_id']);
        self::assertSame('Hello', $status['data']['message']['subject']);
    }

    public function testSelfHosted(): void
    {
        [$code, $out, $err] = self::runExample('self_hosted.php');
        self::assertSame(0, $code, $err . $out);
        self::assertMatchesRegularExpression('/^\S+ is \w+; batch queued 2$/', trim($out));
    }

    public function testErrors(): void
    {
        [$code, $out, $err] = self::runExample('errors.php');
        self::assertSame(0, $code, $err . $out);
        self::assertStringStartsWith('VALIDATION_ERROR (400): ', $out);
        self::assertStringContainsString('  to', $out);
    }

    public function testRetriesSendOnceForOneIdempotencyKey(): void
    {
        [$code, $out, $err] = self::runExample('retries.php');
        self::assertSame(0, $code, $err . $out);
        self::assertSame('bool(true)', trim($out));
    }

    public function testWebhookReceiverUnderPhpsBuiltInServer(): void
    {
        $secret = 'whsec_' . base64_encode(random_bytes(32));
        $port = self::freePort();
        $server = proc_open(
            [PHP_BINARY, '-S', '127.0.0.1:' . $port, dirname(__DIR__) . '/examples/webhook_receiver.php'],
            [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']],
            $pipes,
            null,
            array_merge(getenv(), ['MAILPASS_WEBHOOK_SECRET' => $secret]),
        );
        self::assertIsResource($server);
        try {
            self::waitForPort($port);
            $body = '{"id":"evt_1","type":"delivery","data":{"message_id":"msg_1"}}';
            $now = time();
            $good = ['webhook-id: msg_1', 'webhook-timestamp: ' . $now,
                'webhook-signature: ' . Webhook::sign('msg_1', $now, $body, $secret)];
            self::assertSame(204, self::post($port, $body, $good));
            $forged = ['webhook-id: msg_1', 'webhook-timestamp: ' . $now,
                'webhook-signature: ' . Webhook::sign('msg_1', $now, $body . ' ', $secret)];
            self::assertSame(400, self::post($port, $body, $forged));
        } finally {
            proc_terminate($server);
            proc_close($server);
        }
    }

    private static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        self::assertIsResource($socket);
        $name = (string) stream_socket_get_name($socket, false);
        fclose($socket);
        return (int) substr($name, strrpos($name, ':') + 1);
    }

    private static function waitForPort(int $port): void
    {
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline) {
            $conn = @fsockopen('127.0.0.1', $port, $errno, $errstr, 0.2);
            if ($conn !== false) {
                fclose($conn);
                return;
            }
            usleep(20_000);
        }
        self::fail("php -S did not listen on $port within 10 s");
    }

    /** @param list<string> $headers */
    private static function post(int $port, string $body, array $headers): int
    {
        $curl = curl_init('http://127.0.0.1:' . $port . '/');
        curl_setopt_array($curl, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => array_merge(['Content-Type: application/json'], $headers),
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT => 10,
        ]);
        curl_exec($curl);
        return (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    }
}
