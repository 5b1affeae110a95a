use super::*;

fn print(lines: &[&str], names_by: NamedBy) -> RecordPrint {
    RecordPrint {
        lines: lines
            .iter()
            .map(|line| regex::Regex::new(line).expect("valid pattern"))
            .collect(),
        names_by,
    }
}

/// The course's Spring Boot consumer's block, as `course-spring` reads it.
fn spring() -> PrintReader {
    PrintReader::new(print(
        &[
            r"^Consume Message-+$",
            r"^Topic: (?P<topic>\S+)$",
            r"^Partion: (?P<partition>\d+)$",
            r"^Value: (?P<value>.*)$",
        ],
        NamedBy::Value,
    ))
}

/// The records the lines report, and why a complete report named none.
fn read(reader: &mut PrintReader, lines: &[&str]) -> Vec<Result<Printed, String>> {
    lines.iter().filter_map(|line| reader.line(line)).collect()
}

fn valued(topic: &str, partition: i32, value: &str) -> Result<Printed, String> {
    Ok(Printed {
        topic: topic.into(),
        partition,
        at: PrintedAt::Value(value.into()),
    })
}

#[test]
fn a_line_report_names_its_record_by_offset() {
    let mut reader = PrintReader::new(print(
        &[r"topic=(?P<topic>\S+) partition=(?P<partition>\d+) offset=(?P<offset>\d+)"],
        NamedBy::Offset,
    ));
    let found = read(
        &mut reader,
        &[
            "subscribed",
            "topic=orders-r1 partition=2 offset=41: key=None value=b'x'",
            "topic=orders-r1 partition=0 offset=7: key=None value=b'y'",
        ],
    );
    let at = |partition, offset| {
        Ok(Printed {
            topic: "orders-r1".into(),
            partition,
            at: PrintedAt::Offset(offset),
        })
    };
    assert_eq!(found, [at(2, 41), at(0, 7)]);
}

#[test]
fn a_block_is_one_record_and_lines_between_are_passed_over() {
    let mut reader = spring();
    let found = read(
        &mut reader,
        &[
            "Consume Message-----------------------",
            "Topic: edu-topic13-r1",
            "key: null",
            "2026-12-05 INFO o.s.k.l.KafkaMessageListenerContainer : partitions assigned: [x-0]",
            "Headers: RecordHeaders(headers = [], isReadOnly = false)",
            "Partion: 1",
            "Value: message 7",
            "Consume Message-----------------------",
            "Topic: edu-topic13-r1",
            "key: null",
            "Headers: RecordHeaders(headers = [], isReadOnly = false)",
            "Partion: 0",
            "Value: ",
        ],
    );
    assert_eq!(
        found,
        [
            valued("edu-topic13-r1", 1, "message 7"),
            valued("edu-topic13-r1", 0, "")
        ]
    );
}

#[test]
fn a_block_cut_short_is_dropped_and_the_next_one_read() {
    let mut reader = spring();
    let found = read(
        &mut reader,
        &[
            "Consume Message-----------------------",
            "Topic: edu-topic13-r1",
            "Consume Message-----------------------",
            "Topic: edu-topic13-r1",
            "Partion: 2",
            "Value: message 9",
        ],
    );
    assert_eq!(found, [valued("edu-topic13-r1", 2, "message 9")]);
}

#[test]
fn lines_outside_a_block_report_nothing() {
    let mut reader = spring();
    let found = read(&mut reader, &["Partion: 2", "Value: message 9"]);
    assert_eq!(found, []);
}

#[test]
fn a_partition_that_is_not_a_number_says_so() {
    let mut reader = PrintReader::new(print(
        &[r"^T: (?P<topic>\S+) P: (?P<partition>\S+) V: (?P<value>.*)$"],
        NamedBy::Value,
    ));
    let found = read(&mut reader, &["T: a P: two V: x", "T: a P: 2 V: x"]);
    assert_eq!(
        found,
        [
            Err("its report's partition `two` is not a number".to_owned()),
            valued("a", 2, "x")
        ]
    );
}

#[test]
fn an_optional_group_that_did_not_match_says_which() {
    let mut reader = PrintReader::new(print(
        &[r"^T: (?P<topic>\S+)( P: (?P<partition>\d+))? O: (?P<offset>\d+)$"],
        NamedBy::Offset,
    ));
    let found = read(&mut reader, &["T: a O: 4"]);
    assert_eq!(found, [Err("its report has no `partition`".to_owned())]);
}
