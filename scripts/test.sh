#!/usr/bin/env bash
# Runs every test (unit and integration) against a real RabbitMQ.
# Uses FERRY_TEST_AMQP_URI when set; otherwise the local broker on 127.0.0.1:5672, started if needed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FERRY_TEST_AMQP_URI:-}" ]; then
  scripts/ensure-rabbitmq.sh "$@"
  export FERRY_TEST_AMQP_URI="amqp://guest:guest@127.0.0.1:5672/"
fi
# One test drives the sidecars with a non-Java gRPC client: Debian's python3-grpcio.
if ! /usr/bin/python3 -c 'import grpc' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-grpcio >/dev/null
  else
    echo "test.sh: the tests need Python's grpcio for /usr/bin/python3: sudo apt-get install python3-grpcio" >&2
    exit 1
  fi
fi
exec ./mvnw -B -ntp verify
