"""Stand-in for the course's 12.producer.py: python 12.producer.py TOPIC.

Sends one record a second, without a key, until Ctrl+C.
"""
import sys
import time

from kafka import KafkaProducer

from kafkainfo import connection

topic = sys.argv[1]
producer = KafkaProducer(**connection())
sent = 0
while True:
    sent += 1
    value = ("message %d" % sent).encode()
    metadata = producer.send(topic, value=value).get(timeout=30)
    print("sent %d to partition %d offset %d" % (sent, metadata.partition, metadata.offset))
    time.sleep(1)
