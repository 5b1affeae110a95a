"""Stand-in for the course's 25.producer-spt-ack.py: python 25.producer-spt-ack.py TOPIC COUNT ACK.

Sends COUNT records with acks=ACK (0, 1 or all), prints how long it took, and exits.
"""
import sys
import time

from kafka import KafkaProducer

from kafkainfo import connection, send_all

topic, count, ack = sys.argv[1], int(sys.argv[2]), sys.argv[3]
acks = ack if ack == "all" else int(ack)
producer = KafkaProducer(acks=acks, **connection())
print("topicName[%s] range_cnt[%d] ack[%s] Producing..." % (topic, count, ack))
started = time.time()
send_all(producer, topic, count)
print("duration time : %s" % (time.time() - started))
producer.close()
