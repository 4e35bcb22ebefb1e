#!/bin/sh
# A migration hook (docs/migration.md): writes one record to a Kafka control topic, as Wix's
# migration orchestrator told its clients where to read and write through a migration topic.
#   announce.sh BOOTSTRAP CONTROL_TOPIC KEY MESSAGE
# The key names what moved (a group, or "producers:<topic>"); clients watching the topic (watch.sh)
# switch clusters when they read a record for their key. The record is written with acks=all; the
# exit status (0: written) and output are journalled in the plan. The control topic must exist. Idempotent for the clients: reading
# one announcement twice changes nothing.
#
# Needs a Kafka distribution: KAFKA_HOME (bin/kafka-console-producer.sh), or KAFKA_LIBS (its jars).
set -eu
[ $# -eq 4 ] || { echo "usage: $0 BOOTSTRAP CONTROL_TOPIC KEY MESSAGE" >&2; exit 2; }
bootstrap=$1 topic=$2 key=$3 message=$4
tab=$(printf '\t')
if [ -n "${KAFKA_HOME:-}" ]; then
  set -- "$KAFKA_HOME/bin/kafka-console-producer.sh"
elif [ -n "${KAFKA_LIBS:-}" ]; then
  set -- java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.ConsoleProducer
else
  echo "announce.sh: set KAFKA_HOME or KAFKA_LIBS" >&2
  exit 2
fi
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
# The console producer exits 0 even when a record could not be written; its log (on stdout) says so.
printf '%s\t%s\n' "$key" "$message" |
  "$@" --bootstrap-server "$bootstrap" --topic "$topic" \
       --property parse.key=true --property "key.separator=$tab" \
       --producer-property acks=all --producer-property enable.idempotence=true \
       --producer-property max.block.ms=20000 --producer-property delivery.timeout.ms=30000 >"$errors" 2>&1
if grep -q "ERROR" "$errors"; then
  grep "ERROR\|Exception" "$errors" | head -5 >&2
  exit 1
fi
echo "announced on $topic: $key: $message"
