"""Stand-in for the course's 21.producer-10pub.py: python 21.producer-10pub.py TOPIC.

Sends 10 records without a key (kafka-python picks a partition at random) and exits.
"""
import sys

from kafka import KafkaProducer

from kafkainfo import connection, send_all

topic = sys.argv[1]
producer = KafkaProducer(**connection())
send_all(producer, topic, 10)
print("sent 10 records to %s" % topic)
producer.close()
