#!/usr/bin/env bash
# Makes sure a RabbitMQ answers on 127.0.0.1:5672: starts a locally installed one that is stopped,
# and with --install installs Debian's rabbitmq-server first when there is none.
# Exits 0 when the broker is reachable, 1 with instructions otherwise.
set -euo pipefail

install=false
[ "${1:-}" = "--install" ] && install=true

reachable() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

wait_for_broker() {
  for _ in $(seq 1 90); do
    if reachable; then
      # The port opens before the broker accepts connections; await_startup waits for that.
      if command -v rabbitmqctl >/dev/null 2>&1; then
        rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1 || true
      fi
      return 0
    fi
    sleep 1
  done
  return 1
}

if reachable; then
  exit 0
fi

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  if $install && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ensure-rabbitmq: installing rabbitmq-server from the system packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  else
    cat >&2 <<'MSG'
ensure-rabbitmq: no RabbitMQ on 127.0.0.1:5672 and none installed. Get one of:
  - Debian/Ubuntu:  sudo apt-get install rabbitmq-server && sudo rabbitmq-server -detached
  - Docker:         docker run -d --name rabbitmq -p 5672:5672 -p 15672:15672 rabbitmq:3.13-management
  - elsewhere:      set FERRY_AMQP_URI (demo) / FERRY_TEST_AMQP_URI (tests) to amqp://USER:PASS@HOST:5672/
MSG
    exit 1
  fi
fi

if ! reachable; then
  echo "ensure-rabbitmq: starting the local RabbitMQ (rabbitmq-server -detached)" >&2
  rabbitmq-server -detached >/dev/null 2>&1 || true
fi
if ! wait_for_broker; then
  echo "ensure-rabbitmq: RabbitMQ did not come up on 127.0.0.1:5672; see /var/log/rabbitmq/" >&2
  exit 1
fi
