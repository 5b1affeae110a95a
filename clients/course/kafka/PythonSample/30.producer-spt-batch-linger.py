"""Stand-in for the course's 30.producer-spt-batch-linger.py:
python 30.producer-spt-batch-linger.py TOPIC COUNT BATCH_SIZE LINGER_MS.

Sends COUNT records with batch_size and linger_ms as given, prints how long it took, and exits.
"""
import sys
import time

from kafka import KafkaProducer

from kafkainfo import connection, send_all

topic, count, batch, linger = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
producer = KafkaProducer(batch_size=batch, linger_ms=linger, **connection())
print(
    "topicName[%s] range_cnt[%d] batch_size[%d] linger_ms[%d] Producing..."
    % (topic, count, batch, linger)
)
started = time.time()
send_all(producer, topic, count)
print("duration time : %s" % (time.time() - started))
producer.close()
