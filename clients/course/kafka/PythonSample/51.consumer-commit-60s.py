"""Stand-in for the course's 51.consumer-commit-60s.py: python 51.consumer-commit-60s.py TOPIC GROUP.

A consumer in GROUP that commits automatically every 60 s, printing a line per record until
Ctrl+C.
"""
import sys

from kafka import KafkaConsumer

from kafkainfo import connection, print_record

topic, group_id = sys.argv[1], sys.argv[2]
consumer = KafkaConsumer(
    topic,
    group_id=group_id,
    auto_offset_reset="earliest",
    enable_auto_commit=True,
    auto_commit_interval_ms=60000,
    **connection()
)
for message in consumer:
    print_record(message)
