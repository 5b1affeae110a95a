"""Stand-in for the course's 52.producer-10pub.py: python 52.producer-10pub.py TOPIC.

Sends 10 records without a key and exits.
"""
import sys

from kafka import KafkaProducer

from kafkainfo import connection, send_all

topic = sys.argv[1]
producer = KafkaProducer(**connection())
send_all(producer, topic, 10)
print("sent 10 records to %s" % topic)
producer.close()
