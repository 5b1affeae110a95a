"""Stand-in for the course's 55.consumer-mannual-commit.py:
python 55.consumer-mannual-commit.py TOPIC GROUP.

A consumer in GROUP without auto commit that commits after every record it printed, until
Ctrl+C.
"""
import sys

from kafka import KafkaConsumer

from kafkainfo import connection, print_record

topic, group_id = sys.argv[1], sys.argv[2]
consumer = KafkaConsumer(
    topic, group_id=group_id, auto_offset_reset="earliest", enable_auto_commit=False, **connection()
)
for message in consumer:
    print_record(message)
    consumer.commit()
