package kafkascenario.consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * Prints every record it consumes in the course's format, which kafka-scenario reads with
 * {@code prints: course}; Spring Kafka logs each assignment ("partitions assigned: [...]").
 */
@SpringBootApplication
public class ConsumerApplication {

    public static void main(String[] args) {
        SpringApplication.run(ConsumerApplication.class, args);
    }

    @KafkaListener(topics = "${app.topic}")
    public void consume(ConsumerRecord<String, String> record) {
        System.out.printf("topic=%s partition=%d offset=%d: key=%s value=%s%n",
                record.topic(), record.partition(), record.offset(), record.key(), record.value());
    }
}
