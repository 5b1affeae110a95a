"""Stand-in for the course's 41.consumer-offset-reset.py:
python 41.consumer-offset-reset.py TOPIC GROUP latest|earliest.

A consumer in GROUP with auto_offset_reset as given (auto commit every 5 s), printing a line per
record until Ctrl+C.
"""
import sys

from kafka import KafkaConsumer

from kafkainfo import connection, print_record

topic, group_id, reset = sys.argv[1], sys.argv[2], sys.argv[3]
consumer = KafkaConsumer(topic, group_id=group_id, auto_offset_reset=reset, **connection())
print("KafkaConsumer topicName[%s] group_id[%s] auto_offset_reset[%s]  ..." % (topic, group_id, reset))
print("Consuming...")
for message in consumer:
    print_record(message)
