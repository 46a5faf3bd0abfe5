<?php

/**
 * The static check run by `make test` (tests/sdk/php/test_php_static.py), since PHPStan is not
 * on the registries this project installs from. php -l and phpcs (PSR-12, from Debian) run
 * beside it; this script checks what neither does:
 *  - every file declares strict_types=1;
 *  - every class under src/ sits where PSR-4 says (namespace and file name) and loads through
 *    autoload.php, which makes PHP link it: parents, interfaces and signature compatibility;
 *  - the SDK calls no function outside PHP's core, ext-curl and ext-json (composer.json's promise).
 * Exit status 1 lists every problem.
 */

declare(strict_types=1);

$root = $argv[1] ?? dirname(__DIR__); // another tree: the check's own test
require $root . '/autoload.php';

$problems = [];
$files = [];
foreach (['src', 'examples', 'tests', 'tools'] as $dir) {
    $iterator = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($root . '/' . $dir));
    foreach ($iterator as $file) {
        if ($file->isFile() && $file->getExtension() === 'php') {
            $files[] = $file->getPathname();
        }
    }
}
$files[] = $root . '/autoload.php';
sort($files);

foreach ($files as $file) {
    $tokens = token_get_all((string) file_get_contents($file));
    $code = array_values(array_filter(
        $tokens,
        static fn ($t) => !is_array($t) || !in_array($t[0], [T_WHITESPACE, T_COMMENT, T_DOC_COMMENT, T_OPEN_TAG], true),
    ));
    $head = implode('', array_map(static fn ($t) => is_array($t) ? $t[1] : $t, array_slice($code, 0, 7)));
    if ($head !== 'declare(strict_types=1);') {
        $problems[] = "$file: does not start with declare(strict_types=1);";
    }
}

$allowed = ['core', 'standard', 'curl', 'json', 'date', 'pcre', 'spl', 'random', 'hash', 'ctype', 'reflection'];
$srcRoot = $root . '/src/';
foreach ($files as $file) {
    if (!str_starts_with($file, $srcRoot)) {
        continue;
    }
    $relative = substr($file, strlen($srcRoot), -strlen('.php'));
    $class = 'MailPass\\' . str_replace('/', '\\', $relative);
    if (!class_exists($class) && !interface_exists($class, false)) { // autoload once: a second require would redeclare
        $problems[] = "$file: does not define $class (PSR-4)";
        continue;
    }
    $tokens = token_get_all((string) file_get_contents($file));
    foreach ($tokens as $i => $token) {
        if (!is_array($token) || $token[0] !== T_STRING) {
            continue;
        }
        $next = $tokens[$i + 1] ?? null;
        $prev = $tokens[$i - 1] ?? null;
        $isCall = $next === '(' && !(is_array($prev) && in_array($prev[0], [T_FUNCTION, T_OBJECT_OPERATOR, T_DOUBLE_COLON, T_NEW, T_NULLSAFE_OBJECT_OPERATOR], true));
        if (!$isCall || !function_exists($token[1])) {
            continue;
        }
        $extension = strtolower((string) (new ReflectionFunction($token[1]))->getExtensionName());
        if (!in_array($extension, $allowed, true)) {
            $problems[] = sprintf('%s:%d: %s() comes from ext-%s', $file, $token[2], $token[1], $extension);
        }
    }
}

if ($problems !== []) {
    fwrite(STDERR, implode("\n", $problems) . "\n");
    exit(1);
}
printf("%d files checked\n", count($files));
