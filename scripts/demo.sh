#!/usr/bin/env bash
# Ferry's local demo: builds, starts a sample upstream and both sidecars against RabbitMQ, sends
# requests through them (the first one while no server sidecar runs yet) and shows what happened.
#   FERRY_AMQP_URI   the broker (default: the local one on 127.0.0.1:5672, started if stopped)
#   FERRY_DEMO_PORT  base port; the demo uses BASE (upstream), BASE+80 (client HTTP), BASE+90/91 (admin)
set -euo pipefail
cd "$(dirname "$0")/.."

base=${FERRY_DEMO_PORT:-18000}
upstream_port=$base client_port=$((base + 80)) client_admin=$((base + 90)) server_admin=$((base + 91))
service=demo
work=.ferry-demo
mkdir -p "$work"
pids=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_ready() { # URL NAME LOG
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "demo: $2 did not become ready; its log ($3):" >&2; tail -20 "$3" >&2; exit 1
}

say "Building (./mvnw package, tests skipped)"
./mvnw -q -B -ntp -DskipTests package

if [ -z "${FERRY_AMQP_URI:-}" ]; then
  scripts/ensure-rabbitmq.sh
  export FERRY_AMQP_URI="amqp://guest:guest@127.0.0.1:5672/"
fi
if command -v rabbitmqctl >/dev/null 2>&1; then
  rabbitmqctl -q delete_queue "ferry.req.$service" >/dev/null 2>&1 || true # Start from an empty queue.
fi

say "Starting the sample upstream (echo) on :$upstream_port and the client sidecar on :$client_port"
java -jar loadtest/target/ferry-loadtest.jar echo --port "$upstream_port" >"$work/echo.log" 2>&1 &
pids+=($!)
java -jar client-sidecar/target/ferry-client-sidecar.jar --service "$service" \
  --http-port "$client_port" --admin-port "$client_admin" --max-body-size 1MiB >"$work/client.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$upstream_port/healthz" echo "$work/echo.log"
wait_ready "http://127.0.0.1:$client_admin/readyz" "client sidecar" "$work/client.log"

say "1. A request while NO server sidecar runs: it waits in queue ferry.req.$service"
curl -sS -i -m 60 -d 'sent while no server sidecar was running' \
  "http://127.0.0.1:$client_port/hello?from=demo" >"$work/first.txt" &
first=$!
for _ in $(seq 1 50); do # Until the client sidecar reports the request pending.
  pending=$(curl -fsS "http://127.0.0.1:$client_admin/metrics" | awk '/^ferry_client_pending /{print $2}')
  [ "${pending%.*}" = 1 ] && break
  sleep 0.2
done
echo "client sidecar: ferry_client_pending $pending (the caller is still waiting)"
if command -v rabbitmqctl >/dev/null 2>&1; then
  for _ in $(seq 1 12); do # The broker refreshes queue statistics every few seconds.
    line=$(rabbitmqctl -q list_queues name messages 2>/dev/null | grep -P "^ferry\.req\.$service\t" || true)
    case "$line" in *$'\t'0|"") sleep 1 ;; *) break ;; esac
  done
  echo "broker: ${line:-queue statistics not available} (queue name, messages)"
fi

say "2. Starting the server sidecar: it takes the waiting request"
java -jar server-sidecar/target/ferry-server-sidecar.jar --service "$service" \
  --upstream "http://127.0.0.1:$upstream_port" --admin-port "$server_admin" >"$work/server.log" 2>&1 &
server=$!
pids+=($server)
wait "$first"
cat "$work/first.txt"; echo
echo "(ferry-queue-time: how long the request waited for a server sidecar, in ms)"

say "3. More requests through the pair"
echo "-- GET with a query string and a repeated header:"
curl -sS -i -H 'x-team: a' -H 'x-team: b' "http://127.0.0.1:$client_port/items?page=2&sort=name" | grep -iE '^(HTTP|x-echo-uri|x-echo-h-x-team|ferry)'
echo "-- The service's own 503 passes through (no ferry-error header):"
curl -sS -i "http://127.0.0.1:$client_port/flaky?status=503" | grep -iE '^(HTTP|ferry-error)' || true
echo "-- ferry-timeout: 500ms against a service that takes 3 s -> 504 from the sidecar:"
curl -sS -i -H 'ferry-timeout: 500ms' "http://127.0.0.1:$client_port/slow?delay=3000" | grep -iE '^(HTTP|ferry-error)|^ferry:'
echo "-- A 2 MiB body over the client's 1 MiB limit -> 413, nothing published:"
head -c 2097152 /dev/zero | curl -sS -i --data-binary @- "http://127.0.0.1:$client_port/upload" | grep -iE '^(HTTP|ferry-error)'

say "4. Metrics (client sidecar, http://127.0.0.1:$client_admin/metrics)"
curl -sS "http://127.0.0.1:$client_admin/metrics" | grep -E '^ferry_client_requests_total'

say "5. SIGTERM: the sidecars drain and exit 0"
kill -TERM "$server"; wait "$server" && echo "server sidecar exited 0"
kill -TERM "${pids[1]}"; wait "${pids[1]}" && echo "client sidecar exited 0"
echo "Logs are in $work/. Try it yourself: start the demo's pieces the same way and curl http://127.0.0.1:$client_port/"
