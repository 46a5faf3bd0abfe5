<?php

declare(strict_types=1);

require __DIR__ . '/../autoload.php'; // or Composer's vendor/autoload.php

$client = new MailPass\Client('mp_live_YOUR_KEY');
$result = $client->mail->send(['to' => 'user@example.com', 'subject' => 'Hello', 'html' => '<p>Hello World</p>']);
echo $result['data']['message_id'];
