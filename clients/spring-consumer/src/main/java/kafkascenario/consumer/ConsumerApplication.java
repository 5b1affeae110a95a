package kafkascenario.consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * The course's Spring Boot consumer as the harness sees it: its listener takes the topic from
 * {@code topic.name} and the group from {@code spring.kafka.consumer.group-id}, and prints each
 * record as the course's does, a block of lines without the offset ({@code Partion} spelt so),
 * which kafka-scenario reads with {@code prints: course-spring}. Spring Kafka logs each
 * assignment ("partitions assigned: [...]").
 */
@SpringBootApplication
public class ConsumerApplication {

    public static void main(String[] args) {
        SpringApplication.run(ConsumerApplication.class, args);
    }

    @KafkaListener(topics = "${topic.name}")
    public void consume(ConsumerRecord<String, String> record) {
        System.out.println("Consume Message-----------------------");
        System.out.println("Topic: " + record.topic());
        System.out.println("key: " + record.key());
        System.out.println("Headers: " + record.headers());
        System.out.println("Partion: " + record.partition());
        System.out.println("Value: " + record.value());
    }
}
