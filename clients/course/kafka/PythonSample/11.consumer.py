"""Stand-in for the course's 11.consumer.py: python 11.consumer.py TOPIC GROUP.

A consumer in GROUP with kafka-python's defaults (auto commit every 5 s, range then round-robin
assignment, session.timeout.ms 10 s), printing a line per record until Ctrl+C.
"""
import sys

from kafka import KafkaConsumer

from kafkainfo import connection, print_record

topic, group_id = sys.argv[1], sys.argv[2]
consumer = KafkaConsumer(topic, group_id=group_id, **connection())
for message in consumer:
    print_record(message)
