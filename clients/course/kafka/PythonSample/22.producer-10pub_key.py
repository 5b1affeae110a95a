"""Stand-in for the course's 22.producer-10pub_key.py: python 22.producer-10pub_key.py TOPIC KEY.

Sends 10 records with the key KEY (kafka-python hashes it with murmur2, as the Java client does)
and exits.
"""
import sys

from kafka import KafkaProducer

from kafkainfo import connection, send_all

topic, key = sys.argv[1], sys.argv[2]
producer = KafkaProducer(**connection())
send_all(producer, topic, 10, key=key.encode())
print("sent 10 records with key %s to %s" % (key, topic))
producer.close()
