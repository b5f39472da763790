<?php
// Connect as the application does: to the database and to Redis, with the credentials of
// the inventory (given in the environment, never on the command line), and say what
// answered. Any failure ends with a non-zero status and the reason.
$driver = getenv('DB_ENGINE') === 'postgresql' ? 'pgsql' : 'mysql';
try {
    $pdo = new PDO(
        sprintf('%s:host=%s;port=%s;dbname=%s', $driver, getenv('DB_HOST'), getenv('DB_PORT'), getenv('DB_DATABASE')),
        getenv('DB_USERNAME'),
        getenv('DB_PASSWORD'),
        [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 5]
    );
    $version = $pdo->query('SELECT VERSION()')->fetchColumn();
    printf("database: %s at %s as %s\n", $version, getenv('DB_HOST'), getenv('DB_USERNAME'));

    $redis = new Redis();
    $redis->connect(getenv('REDIS_HOST'), (int) getenv('REDIS_PORT'), 5);
    $redis->auth([getenv('REDIS_USERNAME'), getenv('REDIS_PASSWORD')]);
    $info = $redis->info('server');
    printf("redis: %s at %s as %s\n", $info['redis_version'], getenv('REDIS_HOST'), getenv('REDIS_USERNAME'));
} catch (Throwable $e) {
    fwrite(STDERR, get_class($e) . ': ' . $e->getMessage() . "\n");
    exit(1);
}
