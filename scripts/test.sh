#!/usr/bin/env bash
# Runs every test (unit and integration) against a real RabbitMQ.
# Uses FERRY_TEST_AMQP_URI when set; otherwise the local broker on 127.0.0.1:5672, started if needed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FERRY_TEST_AMQP_URI:-}" ]; then
  scripts/ensure-rabbitmq.sh "$@"
  export FERRY_TEST_AMQP_URI="amqp://guest:guest@127.0.0.1:5672/"
fi
exec ./mvnw -B -ntp verify
