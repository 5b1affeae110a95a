"""Connection settings of the course's scripts, read from ./config.ini.

[KAFKAINFO]
bootstrap_servers = host:port
sasl_plain_username = edu-user      (optional: without it the connection is PLAINTEXT)
sasl_plain_password = ...
"""
import configparser
import sys


def connection():
    config = configparser.ConfigParser()
    if not config.read("config.ini"):
        sys.exit("config.ini not found in " + __import__("os").getcwd())
    info = config["KAFKAINFO"]
    options = {"bootstrap_servers": info["bootstrap_servers"].split(",")}
    if info.get("sasl_plain_username"):
        options.update(
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_plain_username=info["sasl_plain_username"],
            sasl_plain_password=info.get("sasl_plain_password", ""),
        )
    return options


def print_record(message):
    """The course's output line for a consumed record."""
    print(
        "topic=%s partition=%d offset=%d: key=%s value=%s"
        % (message.topic, message.partition, message.offset, message.key, message.value)
    )


def event(num):
    """The course's record value."""
    return (
        '{"eventName":"a","num":%d,"title":"a", "writeId":"", "writeName": "", "writeDate":"" }'
        % num
    ).encode()


def send_all(producer, topic, count, key=None):
    """Sends `count` records and waits until every one is acknowledged."""
    futures = [producer.send(topic, key=key, value=event(i)) for i in range(count)]
    producer.flush()
    for future in futures:
        future.get(timeout=60)
