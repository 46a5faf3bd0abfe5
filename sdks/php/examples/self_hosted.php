<?php

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

// Your own MailPass deployment: the only change is base_url (or MAILPASS_BASE_URL in the environment).
$client = new MailPass\Client(getenv('MAILPASS_API_KEY') ?: null, [
    'base_url' => getenv('MAILPASS_BASE_URL') ?: 'https://mail.example.com',
]);

$sent = $client->mail->send([
    'to' => 'ada@example.com',
    'subject' => 'Your receipt',
    'text' => 'Thanks for your order.',
    'html' => '<p>Thanks for your order.</p>',
    'tags' => ['receipt'],
]);
$id = $sent['data']['message_id'];

$batch = $client->mail->sendBatch([
    ['to' => 'one@example.com', 'subject' => 'Hi one', 'text' => 'Hello'],
    ['to' => 'two@example.com', 'subject' => 'Hi two', 'text' => 'Hello'],
]);

$status = $client->mail->status($id);
printf("%s is %s; batch queued %d\n", $id, $status['data']['message']['status'], $batch['data']['queued']);
