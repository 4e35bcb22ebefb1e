#!/bin/sh
# The client's side of the control channel: prints every announcement on the control topic from the
# start (key, then message). An application would do this in its Kafka client wrapper: on reading its
# own group's key, stop, and start again on the cluster named; on "producers:<topic>", point its
# producers there. Reading from the start means a client started late still learns where to go.
#   watch.sh BOOTSTRAP CONTROL_TOPIC
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BOOTSTRAP CONTROL_TOPIC" >&2; exit 2; }
if [ -n "${KAFKA_HOME:-}" ]; then
  set -- "$KAFKA_HOME/bin/kafka-console-consumer.sh" --bootstrap-server "$1" --topic "$2"
elif [ -n "${KAFKA_LIBS:-}" ]; then
  set -- java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$1" --topic "$2"
else
  echo "watch.sh: set KAFKA_HOME or KAFKA_LIBS" >&2
  exit 2
fi
exec "$@" --from-beginning --property print.key=true
