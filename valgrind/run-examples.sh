#!/usr/bin/env bash
# `make test-valgrind`: the examples under valgrind's memcheck, each on a fresh store in a
# temporary directory. Any memory error, or a definitely or indirectly lost block, fails the
# run (still-reachable blocks, which the C library keeps until exit, do not).
#   1. the quickstart (examples-c/quickstart.c, the 30-day demo) on OTA_DEMO_VEHICLES vehicles
#      (default 1000 here: the same story as `make demo`, about 1 min under valgrind; the
#      whole 5,000 take about 5 min on the shared 2-core machine);
#   2. the C++ client example with its RAII wrappers (examples-c/cpp-client.cpp);
#   3. the MQTT gateway on the quickstart's store for a few seconds, then SIGTERM: with a
#      mosquitto on a free local port when one is installed (connect, shared subscription,
#      lease, steps, clean stop), else with no broker at all (reconnects with backoff, clean
#      stop). Its publishing and ingestion paths run against a broker in test_e2e_mqtt.py.
# Usage: valgrind/run-examples.sh BUILD_DIR
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
# No suppressions: the Embedded Swift archive has no runtime of its own to report on, and
# every report so far was real (none was found).
vg=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect)

dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${KEEP_VG:-}" ] && echo "kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT

fail() {
  echo "--- $1: valgrind" && cat "$dir/$1.vg" 2>/dev/null | tail -60
  echo "--- $1: output" && tail -30 "$dir/$1.log"
  echo "FAIL: $1 under valgrind"
  exit 1
}

# 1. quickstart
start=$SECONDS
(cd "$dir" && OTA_DEMO_VEHICLES="${OTA_DEMO_VEHICLES:-1000}" \
  "${vg[@]}" --log-file="$dir/quickstart.vg" "$build/quickstart" demo.db > "$dir/quickstart.log" 2>&1) \
  || fail quickstart
echo "quickstart (valgrind, ${OTA_DEMO_VEHICLES:-1000} vehicles): ok in $((SECONDS - start)) s"

# 2. the C++ client
start=$SECONDS
"${vg[@]}" --log-file="$dir/cpp-client.vg" "$build/cpp-client" "$dir/cpp.db" > "$dir/cpp-client.log" 2>&1 \
  || fail cpp-client
echo "cpp-client (valgrind): ok in $((SECONDS - start)) s"

# 3. the gateway, on the quickstart's store (alice is its admin: every role)
start=$SECONDS
printf '%064x\n' 7 > "$dir/seed"
broker=127.0.0.1:1   # nothing listens on port 1: the gateway retries with backoff
mosquitto=$(command -v mosquitto || { [ -x /usr/sbin/mosquitto ] && echo /usr/sbin/mosquitto; } || true)
if [ -n "$mosquitto" ]; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" > "$dir/mosquitto.conf"
  "$mosquitto" -c "$dir/mosquitto.conf" > "$dir/mosquitto.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  broker=127.0.0.1:$port
fi
"${vg[@]}" --log-file="$dir/mqtt-gateway.vg" "$build/mqtt-gateway" --broker "$broker" --db "$dir/demo.db" \
  --actor alice@oem.example --signing-seed "$dir/seed" --client-id valgrind-gw --step-interval 1 \
  --outbox-ms 50 > "$dir/mqtt-gateway.log" 2>&1 &
gw=$!
pids+=($gw)
if [ "$broker" != 127.0.0.1:1 ] && python3 -c 'import paho.mqtt, cbor2' 2>/dev/null; then
  # five reports from vehicles the store does not know (kept, answered "rejected"), so the
  # gateway's receive, batch, ingest and acknowledge path runs too
  for _ in $(seq 100); do grep -q "took the lease" "$dir/mqtt-gateway.log" && break; sleep 0.1; done
  campaign=$(sed -n 's/.*report \([0-9]*\).*/\1/p' "$dir/demo-report.args")
  python3 - "${broker##*:}" "$campaign" <<'PY'
import sys, time, cbor2
import paho.mqtt.client as mqtt
port, campaign = int(sys.argv[1]), int(sys.argv[2])
c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="valgrind-vehicles",
                protocol=mqtt.MQTTv5)
c.connect("127.0.0.1", port)
c.loop_start()
sent = []
for i in range(1, 6):
    vin = f"1LTAB0{i}00TA00000{i}"
    report = cbor2.dumps({"vin": vin, "campaign": campaign, "seq": 1000 + i, "time": 1, "state": "received"})
    sent.append(c.publish(f"ota/v1/vehicles/{vin}/status", report, qos=1))
for m in sent:
    m.wait_for_publish(10)
c.loop_stop()
c.disconnect()
PY
fi
sleep 4
kill -TERM "$gw"
wait "$gw" || fail mqtt-gateway
grep -q "stopped:" "$dir/mqtt-gateway.log" || fail mqtt-gateway
if [ "$broker" = 127.0.0.1:1 ]; then how="no broker"; else how="mosquitto on port ${broker##*:}"; fi
grep -q "connected to" "$dir/mqtt-gateway.log" && how="$how, connected"
got=$(sed -n 's/.*reports received \([0-9]*\).*/\1/p' "$dir/mqtt-gateway.log")
[ -n "$got" ] && [ "$got" != 0 ] && how="$how, $got reports ingested"
echo "mqtt-gateway (valgrind, $how): ok in $((SECONDS - start)) s"
