//! Bad scenario files are refused before anything runs, with file, line, column, the offending
//! text and a hint; no input makes the loader panic.

use std::path::Path;

use kafka_scenario::LoadError;
use kafka_scenario::scenario::plan::{Action, ActorPlan, Plan};
use kafka_scenario::scenario::{ScenarioError, load_str};

const VALID: &str = "\
name: t
topics:
  orders: { partitions: 3 }
actors:
  consumer1: { consumer: { group: g, topics: [orders] } }
  consumer2: { consumer: { group: g, topics: [orders] } }
  feeder: { producer: { topic: orders } }
timeline:
  - start: consumer1
  - await: stable
";

fn error_of(text: &str) -> ScenarioError {
    match load_str(Path::new("bad.yaml"), text.to_owned()) {
        Err(LoadError::Invalid(e)) => *e,
        Err(e) => panic!("expected a located error, got {e}"),
        Ok(_) => panic!("accepted:\n{text}"),
    }
}

/// Asserts the error's position, that its message and hint contain the given words (an empty
/// `hint` means the error must have none), and that the reported offending text is what stands
/// at that position.
fn assert_error(text: &str, line: usize, column: usize, message: &str, hint: &str) {
    let e = error_of(text);
    let shown = e.plain().to_string();
    assert_eq!((e.line, e.column), (line, column), "{shown}");
    assert!(
        e.message.contains(message),
        "message lacks `{message}`:\n{shown}"
    );
    assert!(
        !message.is_empty(),
        "say which words the message must contain"
    );
    match (&e.hint, hint) {
        (None, "") => {}
        (Some(got), "") => panic!("unexpected hint `{got}`:\n{shown}"),
        (Some(got), wanted) => assert!(got.contains(wanted), "hint lacks `{wanted}`:\n{shown}"),
        (None, wanted) => panic!("no hint, expected one with `{wanted}`:\n{shown}"),
    }
    let source_line = text.lines().nth(line - 1).unwrap_or_default();
    let at: String = source_line.chars().skip(column - 1).collect();
    // Only a blank position (an empty file) has nothing to show.
    let points_at_it = if at.trim().is_empty() {
        e.found.is_empty()
    } else {
        !e.found.is_empty() && at.starts_with(&e.found)
    };
    assert!(
        points_at_it,
        "found `{}` is not at {line}:{column}:\n{shown}",
        e.found
    );
    assert!(
        shown.starts_with(&format!("bad.yaml:{line}:{column}: ")),
        "{shown}"
    );
}

#[test]
fn the_base_scenario_is_valid() {
    load_str(Path::new("ok.yaml"), VALID.to_owned()).expect("valid");
}

#[test]
fn yaml_syntax_error() {
    let text = VALID.replace(
        "topics: [orders] } }\n  consumer2",
        "topics: [orders } }\n  consumer2",
    );
    let e = error_of(&text);
    assert_eq!(e.line, 5, "{}", e.plain());
}

#[test]
fn empty_file() {
    assert_error("  \n", 1, 1, "empty", "name");
}

#[test]
fn unknown_top_level_field() {
    let text = VALID.replace("timeline:", "timelin:");
    assert_error(
        &text,
        8,
        1,
        "unknown field `timelin`",
        "did you mean `timeline`?",
    );
}

#[test]
fn unknown_step_kind() {
    let text = VALID.replace("  - await: stable", "  - stopp: consumer1");
    assert_error(
        &text,
        10,
        5,
        "unknown variant `stopp`",
        "did you mean `stop`?",
    );
}

#[test]
fn unknown_actor_in_a_step() {
    let text = VALID.replace("  - start: consumer1", "  - start: consumre1");
    assert_error(
        &text,
        9,
        12,
        "unknown actor `consumre1`",
        "did you mean `consumer1`?",
    );
}

#[test]
fn unknown_topic_of_a_consumer() {
    let text = VALID.replace(
        "consumer1: { consumer: { group: g, topics: [orders] } }",
        "consumer1: { consumer: { group: g, topics: [order] } }",
    );
    assert_error(
        &text,
        5,
        47,
        "unknown topic `order`",
        "did you mean `orders`?",
    );
}

#[test]
fn stopping_an_actor_that_never_started() {
    let text = format!("{VALID}  - stop: consumer2\n");
    assert_error(
        &text,
        11,
        11,
        "cannot stop `consumer2`: it is not running",
        "add `- start: consumer2`",
    );
}

#[test]
fn killing_an_actor_twice() {
    let text = format!("{VALID}  - kill: consumer1\n  - kill: consumer1\n");
    assert_error(
        &text,
        12,
        11,
        "cannot kill `consumer1`",
        "already ended at line 11",
    );
}

#[test]
fn starting_a_running_actor() {
    let text = format!("{VALID}  - start: consumer1\n");
    assert_error(&text, 11, 12, "already running", "stop or kill");
}

#[test]
fn awaiting_stable_with_nobody_running() {
    let text = VALID.replace("  - start: consumer1\n", "");
    assert_error(&text, 9, 12, "no consumer running", "start a consumer");
}

#[test]
fn awaiting_a_group_nobody_joined() {
    let text = VALID
        .replace(
            "consumer2: { consumer: { group: g,",
            "consumer2: { consumer: { group: other,",
        )
        .replace("  - await: stable", "  - await: { stable: other }");
    assert_error(
        &text,
        10,
        22,
        "no member of group `other` is running",
        "start one of its consumers",
    );
}

#[test]
fn awaiting_a_misspelt_word() {
    let text = VALID.replace("  - await: stable", "  - await: stabel");
    assert_error(
        &text,
        10,
        12,
        "`stabel` is not something to await",
        "did you mean `stable`?",
    );
}

#[test]
fn unknown_librdkafka_property() {
    let text = VALID.replace(
        "group: g, topics: [orders] } }\n  consumer2",
        "group: g, topics: [orders], sesion.timeout.ms: 100 } }\n  consumer2",
    );
    assert_error(
        &text,
        5,
        56,
        "librdkafka rejects `sesion.timeout.ms: 100`",
        "librdkafka",
    );
}

#[test]
fn a_property_the_harness_owns() {
    let text = VALID.replace(
        "feeder: { producer: { topic: orders } }",
        "feeder: { producer: { topic: orders, bootstrap.servers: x } }",
    );
    assert_error(
        &text,
        7,
        40,
        "`bootstrap.servers` is set by the harness",
        "--cluster",
    );
}

#[test]
fn a_duration_without_unit() {
    let text = format!("{VALID}  - sleep: 5\n");
    assert_error(&text, 11, 5, "`5` is not a duration", "5s");
}

#[test]
fn a_rate_that_is_not_one() {
    let text = VALID.replace("{ topic: orders }", "{ topic: orders, rate: fast }");
    let e = error_of(&text);
    assert_eq!(e.line, 7, "{}", e.plain());
    assert!(e.message.contains("`fast` is not a rate"), "{}", e.plain());
}

#[test]
fn producing_from_a_consumer() {
    let text = format!("{VALID}  - produce: consumer2\n");
    assert_error(&text, 11, 14, "`consumer2` is a consumer", "");
}

#[test]
fn expecting_a_partition_the_topic_lacks() {
    let text = format!("{VALID}  - expect: {{ assignment: {{ consumer1: [0, 5] }} }}\n");
    assert_error(&text, 11, 40, "`orders` has no partition 5", "0 to 2");
}

#[test]
fn a_missing_required_field() {
    let text = VALID.replace(
        "{ group: g, topics: [orders] } }\n  consumer2",
        "{ group: g } }\n  consumer2",
    );
    let e = error_of(&text);
    assert!(
        e.message.contains("missing field `topics`"),
        "{}",
        e.plain()
    );
    assert_eq!(e.hint.as_deref(), Some("add `topics:`"));
}

#[test]
fn both_key_and_keys() {
    let text = VALID.replace("{ topic: orders }", "{ topic: orders, key: a, keys: [b] }");
    assert_error(&text, 7, 48, "both `key` and `keys`", "keep one");
}

#[test]
fn shrinking_a_topic() {
    let text = format!("{VALID}  - grow: {{ topic: orders, partitions: 2 }}\n");
    assert_error(&text, 11, 40, "already has 3 partitions", "above 3");
}

#[test]
fn at_going_backwards() {
    let text = format!("{VALID}  - at: 10s\n  - at: 5s\n");
    assert_error(&text, 12, 9, "earlier than", "must not go back");
}

#[test]
fn commit_contradicting_auto_commit() {
    let text = VALID.replace(
        "group: g, topics: [orders] } }\n  consumer2",
        "group: g, topics: [orders], commit: per-record, enable.auto.commit: true } }\n  consumer2",
    );
    assert_error(&text, 5, 64, "contradicts", "remove `enable.auto.commit`");
}

#[test]
fn no_prefix_of_any_scenario_makes_the_loader_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a scenario directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        for (end, _) in text.char_indices() {
            let _ = load_str(&path, text[..end].to_owned());
        }
    }
}

#[test]
fn a_negative_or_unparseable_processing_time() {
    for time in ["-5ms", "slowly"] {
        let text = VALID.replace(
            "consumer1: { consumer: { group: g, topics: [orders] } }",
            &format!(
                "consumer1: {{ consumer: {{ group: g, topics: [orders], process: {time} }} }}"
            ),
        );
        let e = error_of(&text);
        assert_eq!(e.line, 5, "{}", e.plain());
        assert!(
            e.message.contains(&format!("`{time}` is not a duration")),
            "{}",
            e.plain()
        );
    }
}

#[test]
fn a_process_step_for_a_producer() {
    let text = format!("{VALID}  - process: {{ actor: feeder, time: 20ms }}\n");
    assert_error(
        &text,
        11,
        23,
        "`feeder` is a producer; only consumers process records",
        "",
    );
}

#[test]
fn freezing_a_consumer_that_is_not_running() {
    let text = format!("{VALID}  - freeze: consumer2\n");
    assert_error(
        &text,
        11,
        13,
        "cannot freeze `consumer2`: it is not running",
        "add `- start: consumer2`",
    );
}

#[test]
fn freezing_a_producer() {
    let text = format!("{VALID}  - freeze: feeder\n");
    assert_error(
        &text,
        11,
        13,
        "`feeder` is a producer; only consumers can be frozen",
        "rate",
    );
}

#[test]
fn freezing_twice_and_thawing_what_is_not_frozen() {
    let text = format!("{VALID}  - freeze: consumer1\n  - freeze: consumer1\n");
    assert_error(&text, 12, 13, "already frozen (line 11)", "thaw: consumer1");
    let text = format!("{VALID}  - thaw: consumer1\n");
    assert_error(
        &text,
        11,
        11,
        "cannot thaw `consumer1`: it is not frozen",
        "freeze: consumer1",
    );
}

#[test]
fn stopping_or_committing_a_frozen_consumer() {
    let text = format!("{VALID}  - freeze: consumer1\n  - stop: consumer1\n");
    assert_error(
        &text,
        12,
        11,
        "cannot stop `consumer1`: it is frozen since line 11",
        "can only be killed",
    );
    let text = format!("{VALID}  - freeze: consumer1\n  - commit: consumer1\n");
    assert_error(
        &text,
        12,
        13,
        "cannot commit for `consumer1`: it is frozen",
        "thaw",
    );
    let killed = format!("{VALID}  - freeze: consumer1\n  - kill: consumer1\n");
    assert!(load_str(Path::new("ok.yaml"), killed).is_ok());
}

#[test]
fn a_link_on_a_producer_or_both_cut_and_delayed_or_jitter_beyond_latency() {
    let text = format!("{VALID}  - link: {{ actor: feeder, cut: true }}\n");
    assert_error(
        &text,
        11,
        11,
        "`feeder` is a producer; only consumers' links",
        "fault a broker",
    );
    let text = format!("{VALID}  - link: {{ actor: consumer1, cut: true, latency: 1s }}\n");
    assert_error(
        &text,
        11,
        11,
        "cannot be cut and delayed at once",
        "heals it",
    );
    let text = format!("{VALID}  - link: {{ actor: consumer1, latency: 100ms, jitter: 1s }}\n");
    assert_error(
        &text,
        11,
        11,
        "jitter 1s is more than the latency 100ms",
        "raise `latency`",
    );
    let healed = format!(
        "{VALID}  - link: {{ actor: consumer2, latency: 1s, jitter: 1s }}\n  - link: consumer2\n"
    );
    assert!(load_str(Path::new("ok.yaml"), healed).is_ok());
}

#[test]
fn a_cut_consumer_is_neither_stopped_nor_frozen_and_a_frozen_one_is_not_cut() {
    let cut = format!("{VALID}  - link: {{ actor: consumer1, cut: true }}\n");
    assert_error(
        &format!("{cut}  - stop: consumer1\n"),
        12,
        11,
        "cannot stop `consumer1`: its link is cut since line 11",
        "- link: consumer1",
    );
    assert_error(
        &format!("{cut}  - freeze: consumer1\n"),
        12,
        13,
        "cannot freeze `consumer1`: its link is cut since line 11",
        "heal it first",
    );
    let text =
        format!("{VALID}  - freeze: consumer1\n  - link: {{ actor: consumer1, cut: true }}\n");
    assert_error(
        &text,
        12,
        11,
        "cannot cut the link of `consumer1`: it is frozen since line 11",
        "thaw: consumer1",
    );
    let healed_then_stopped = format!("{cut}  - link: consumer1\n  - stop: consumer1\n");
    assert!(load_str(Path::new("ok.yaml"), healed_then_stopped).is_ok());
    let killed = format!("{cut}  - kill: consumer1\n");
    assert!(load_str(Path::new("ok.yaml"), killed).is_ok());
}

#[test]
fn rebalances_of_a_group_nobody_joins() {
    let text = format!("{VALID}expect: {{ rebalances: {{ gg: 1 }} }}\n");
    assert_error(&text, 11, 25, "gg", "did you mean `g`");
    let text = format!("{VALID}  - await: {{ rebalances: {{ h: 2 }} }}\n");
    assert_error(&text, 11, 28, "unknown group `h`", "known groups: g");
}

const FAULTS: &str = "\
name: t
brokers: { count: 3 }
topics:
  orders: { partitions: 2, replicas: 3 }
actors:
  feeder: { producer: { topic: orders } }
timeline:
  - start: feeder
";

#[test]
fn a_fault_naming_a_broker_the_scenario_does_not_start() {
    let text = format!("{FAULTS}  - kill-broker: 7\n");
    assert_error(
        &text,
        9,
        18,
        "there is no broker 7: the scenario starts 3",
        "node ids 1 to 3",
    );
}

#[test]
fn a_fault_naming_a_partition_the_topic_lacks() {
    let text = format!("{FAULTS}  - kill-broker: {{ leader: orders/5 }}\n");
    assert_error(
        &text,
        9,
        28,
        "`orders` has no partition 5 (it has 2)",
        "0 to 1",
    );
    let text = format!("{FAULTS}  - pause-broker: {{ followers: payments/0 }}\n");
    assert_error(&text, 9, 32, "unknown topic `payments`", "orders");
}

#[test]
fn a_fault_without_brokers_of_the_scenarios_own() {
    let text = format!("{VALID}  - kill-broker: 1\n");
    assert_error(
        &text,
        11,
        5,
        "`kill-broker` needs brokers of the scenario's own",
        "brokers: { count: 3 }",
    );
}

#[test]
fn resuming_a_broker_that_was_not_paused_or_restarting_a_running_one() {
    let text = format!("{FAULTS}  - resume-broker: 2\n");
    assert_error(
        &text,
        9,
        20,
        "cannot resume broker 2: the broker is running",
        "only a paused broker",
    );
    let text = format!(
        "{FAULTS}  - kill-broker: {{ leader: orders/0, as: old }}\n  - restart-broker: old\n  - restart-broker: old\n"
    );
    assert_error(
        &text,
        11,
        21,
        "cannot restart old: the broker is running",
        "stopped or killed",
    );
}

#[test]
fn a_broker_name_never_given() {
    let text = format!("{FAULTS}  - restart-broker: old-leadr\n");
    assert_error(
        &text,
        9,
        21,
        "no broker is called `old-leadr`",
        "a name an earlier step gave with `as`",
    );
}

#[test]
fn more_replicas_than_brokers_and_settings_the_target_owns() {
    let text = FAULTS.replace("count: 3", "count: 2");
    assert_error(
        &text,
        4,
        38,
        "wants 3 replicas but the scenario starts 2 broker(s)",
        "raise",
    );
    let text = FAULTS.replace(
        "brokers: { count: 3 }",
        "brokers: { count: 3, config: { log.dirs: /tmp } }",
    );
    assert_error(
        &text,
        2,
        32,
        "`log.dirs` is set by the target",
        "belong to the target",
    );
}

#[test]
fn durability_is_only_known_after_the_run() {
    let text = format!("{FAULTS}  - expect: {{ durability: {{ feeder: {{ lost: 0 }} }} }}\n");
    assert_error(
        &text,
        9,
        15,
        "known only once the topics are read back",
        "final `expect:`",
    );
}

#[test]
fn cluster_state_awaits_name_real_partitions() {
    let text = format!("{FAULTS}  - await: {{ isr: {{ orders/0: 4 }} }}\n");
    assert_error(&text, 9, 31, "`orders` has 3 replica(s)", "");
}

#[test]
fn the_controller_is_tracked_like_a_broker() {
    let text = format!("{FAULTS}  - kill-broker: controller\n  - pause-broker: controller\n");
    assert_error(
        &text,
        10,
        19,
        "cannot pause the active controller: the broker is down",
        "restart it first",
    );
}

/// VALID with two variants and the given `compare:` section.
fn with_variants(compare: &str) -> String {
    format!(
        "{VALID}variants:\n  eager: {{ consumer: {{ partition.assignment.strategy: range }} }}\n  \
         cooperative: {{ consumer: {{ partition.assignment.strategy: cooperative-sticky }} }}\n{compare}"
    )
}

#[test]
fn variants_run_in_the_order_written_each_with_its_properties() {
    let scenario = load_str(Path::new("ok.yaml"), with_variants("")).expect("valid");
    let labels: Vec<String> = scenario.plans.iter().map(|p| p.label()).collect();
    assert_eq!(labels, ["t@eager", "t@cooperative"]);
    let strategy = |index: usize| {
        let ActorPlan::Consumer(c) = &scenario.plans[index].actors["consumer1"] else {
            panic!("consumer1 is a consumer");
        };
        c.properties
            .iter()
            .find(|(k, _)| k == "partition.assignment.strategy")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(strategy(0).as_deref(), Some("range"));
    assert_eq!(strategy(1).as_deref(), Some("cooperative-sticky"));
}

#[test]
fn an_ordering_names_two_declared_variants() {
    let text = with_variants("compare:\n  stop-the-world: [cooperative < eagre]\n");
    assert_error(
        &text,
        15,
        20,
        "unknown variant `eagre`",
        "did you mean `eager`?",
    );
}

#[test]
fn an_ordering_is_written_with_a_less_than_sign() {
    let text = with_variants("compare:\n  largest-gap: [cooperative > eager]\n");
    assert_error(&text, 15, 17, "is not an ordering", "smaller < larger");
}

#[test]
fn a_variant_is_not_compared_with_itself() {
    let text = with_variants("compare:\n  stop-the-world: [eager < eager]\n");
    assert_error(&text, 15, 20, "with itself", "two different variants");
}

#[test]
fn compare_needs_variants() {
    let text = format!("{VALID}compare:\n  stop-the-world: [a < b]\n");
    assert_error(&text, 11, 1, "needs variants", "variants:");
}

#[test]
fn a_variant_name_is_a_plain_word() {
    let text = format!("{VALID}variants:\n  eager mode: {{}}\n");
    assert_error(&text, 12, 3, "not a plain word", "snapshot");
}

#[test]
fn the_consumer_protocol_refuses_classic_settings() {
    let text = VALID.replace(
        "consumer1: { consumer: { group: g, topics: [orders] } }",
        "consumer1: { consumer: { group: g, topics: [orders], group.protocol: consumer, session.timeout.ms: 6000 } }",
    );
    assert_error(
        &text,
        5,
        82,
        "`session.timeout.ms` has no effect",
        "group.consumer.session.timeout.ms",
    );
}

const PROCESS: &str = "\
name: t
topics:
  orders: { partitions: 3 }
actors:
  consumer1: { consumer: { group: g, topics: [orders] } }
  script:
    process:
      consumer: { group: g, topics: [orders] }
      command: [python, \"{var.course}/11.consumer.py\", \"{topic.orders}\", \"{group.g}\"]
      files:
        config.ini: |
          [KAFKAINFO]
          bootstrap_servers = {bootstrap}
      prints: course
  sender:
    process:
      producer: { topic: orders }
      command: [python, \"{var.course}/12.producer.py\", \"{topic.orders}\"]
      exits: true
timeline:
  - start: consumer1
  - start: script
  - await: stable
";

#[test]
fn a_valid_process_actor_is_accepted() {
    let scenario = load_str(Path::new("ok.yaml"), PROCESS.to_owned()).expect("valid");
    let plan = &scenario.plans[0];
    assert!(matches!(
        plan.actors.get("script"),
        Some(ActorPlan::Process(_))
    ));
    assert_eq!(
        plan.missing_vars().into_iter().collect::<Vec<_>>(),
        ["course"]
    );
}

#[test]
fn an_unknown_placeholder_is_pointed_at_inside_its_string() {
    let text = PROCESS.replace(
        "{topic.orders}\", \"{group.g}",
        "{topics.orders}\", \"{group.g}",
    );
    assert_error(
        &text,
        9,
        57,
        "unknown placeholder `{topics.orders}`",
        "{topic.NAME}",
    );
    let text = PROCESS.replace("= {bootstrap}", "= {bootstrap_servers}");
    assert_error(
        &text,
        13,
        31,
        "unknown placeholder `{bootstrap_servers}`",
        "{bootstrap}",
    );
}

#[test]
fn a_placeholder_must_name_the_scenario_s_own_topic_or_group() {
    let text = PROCESS.replace("\"{group.g}\"", "\"{group.gg}\"");
    assert_error(&text, 9, 75, "`{group.gg}` names no group", "{group.g}");
}

#[test]
fn a_process_needs_a_command_and_a_role() {
    let text = PROCESS.replace(
        "command: [python, \"{var.course}/11.consumer.py\", \"{topic.orders}\", \"{group.g}\"]",
        "command: []",
    );
    assert_error(&text, 9, 16, "process `script` has no command", "command:");
    let text = PROCESS.replace("      producer: { topic: orders }\n", "");
    assert_error(&text, 16, 5, "must say what it is", "consumer:");
}

#[test]
fn what_a_process_does_inside_its_client_cannot_be_expected() {
    let text = format!("{PROCESS}  - expect: {{ max_poll_batch: {{ script: 500 }} }}\n");
    assert_error(
        &text,
        24,
        33,
        "`max_poll_batch` cannot be observed for process `script`",
        "its own client",
    );
    let text =
        PROCESS.replace("      prints: course\n", "") + "  - expect: { consumed: { script: 3 } }\n";
    assert_error(
        &text,
        23,
        27,
        "`consumed` cannot be observed",
        "prints: course",
    );
}

#[test]
fn a_printed_block_must_name_the_partition_and_the_offset_or_value() {
    let text = PROCESS.replace(
        "prints: course",
        "prints: ['^Topic: (?P<topic>\\S+)$', '^Value: (?P<value>.*)$']",
    );
    assert_error(
        &text,
        14,
        15,
        "no group named `partition`",
        "(?P<partition>...)",
    );
    let text = PROCESS.replace(
        "prints: course",
        "prints: ['^Topic: (?P<topic>\\S+)$', '^Partion: (?P<partition>\\d+)$']",
    );
    assert_error(
        &text,
        14,
        15,
        "no group named `offset` or `value`",
        "(?P<value>...)",
    );
    let text = PROCESS.replace(
        "prints: course",
        "prints: ['^Topic: (?P<topic>\\S+)$', '^Partion: (?P<partition>\\d+$']",
    );
    assert_error(&text, 14, 43, "not a regular expression", "course-spring");
}

#[test]
fn a_consumer_naming_records_by_value_needs_a_process_producer_s_values() {
    let spring = PROCESS.replace("prints: course", "prints: course-spring");
    load_str(Path::new("ok.yaml"), spring.clone()).expect("values a process producer wrote");
    let text = spring.replace(
        "  sender:\n",
        "  feeder: { producer: { topic: orders } }\n  sender:\n",
    );
    assert_error(
        &text,
        14,
        15,
        "`feeder`, a harness producer, writes `orders`",
        "(?P<offset>...)",
    );
    let text = spring.replace(
        "producer: { topic: orders }",
        "consumer: { group: g, topics: [orders] }",
    );
    assert_error(
        &text,
        14,
        15,
        "no process producer writes `orders`",
        "reads back",
    );
}

#[test]
fn the_harness_cannot_commit_for_a_process() {
    let text = format!("{PROCESS}  - commit: script\n");
    assert_error(&text, 24, 13, "cannot commit for `script`", "harness's own");
}

#[test]
fn only_a_process_declared_to_end_by_itself_is_awaited_to_exit() {
    let text = format!("{PROCESS}  - await: {{ exited: [script] }}\n");
    assert_error(
        &text,
        24,
        23,
        "not declared to end by itself",
        "exits: true",
    );
}

#[test]
fn alike_consumers_are_consumers_of_one_group() {
    let text = PROCESS.replace(
        "timeline:",
        "outcome: { alike: [[consumer1, sender]] }\ntimeline:",
    );
    assert_error(&text, 20, 32, "`sender` is not a consumer", "");
}

const CROWD: &str = "\
name: t
topics:
  orders: { partitions: 3 }
actors:
  workers: { consumer: { group: g, topics: [orders], members: 4 } }
  single: { consumer: { group: g, topics: [orders] } }
timeline:
  - start: { actor: workers, members: 3 }
  - await: stable
";

#[test]
fn a_crowd_expands_into_members_and_its_steps_into_one_per_member() {
    let text = format!(
        "{CROWD}  - start: workers\n  - stop: {{ actor: workers, members: 2, which: newest }}\n  - kill: {{ actor: workers, members: 1 }}\n"
    );
    let scenario = load_str(Path::new("ok.yaml"), text).expect("valid");
    let plan = &scenario.plans[0];
    let members: Vec<&String> = plan
        .actors
        .keys()
        .filter(|a| a.starts_with("workers."))
        .collect();
    assert_eq!(
        members,
        ["workers.1", "workers.2", "workers.3", "workers.4"]
    );
    assert_eq!(plan.crowds["workers"].iter().collect::<Vec<_>>(), members);
    assert_eq!(plan.crowd_of("workers.3"), Some("workers"));
    assert_eq!(plan.crowd_of("single"), None);
    let texts: Vec<&str> = plan.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "start workers.1",
            "start workers.2",
            "start workers.3",
            "await stable g",
            "start workers.4",
            "stop workers.4",
            "stop workers.3",
            "kill workers.1",
        ]
    );
    let ActorPlan::Consumer(member) = &plan.actors["workers.2"] else {
        panic!("a member is a consumer");
    };
    assert_eq!(member.properties.get("client.id"), Some("workers.2"));
}

#[test]
fn a_crowd_has_at_least_one_member() {
    let text = CROWD.replace("members: 4", "members: 0");
    assert_error(&text, 5, 63, "at least one member", "members");
}

#[test]
fn members_and_which_are_for_crowds_and_running_members() {
    let text = format!("{CROWD}  - stop: {{ actor: single, members: 1 }}\n");
    assert_error(&text, 10, 11, "`single` is not a crowd", "members: N");
    let text = format!("{CROWD}  - stop: {{ actor: workers, members: 4 }}\n");
    assert_error(&text, 10, 11, "3 of its 4 members are running", "");
    let text = format!("{CROWD}  - start: {{ actor: workers, which: oldest }}\n");
    assert_error(
        &text,
        10,
        12,
        "a `start` takes them in order",
        "remove `which`",
    );
    let text = format!("{CROWD}  - kill: {{ actor: workers, members: 0 }}\n");
    assert_error(&text, 10, 11, "at least 1", "every member");
}

#[test]
fn a_step_for_one_actor_names_a_member_of_a_crowd() {
    let text = format!("{CROWD}  - commit: workers\n");
    assert_error(
        &text,
        10,
        13,
        "a crowd of 4 consumers",
        "`workers.1` to `workers.4`",
    );
}

#[test]
fn a_crowd_s_members_are_not_named_alike() {
    let text = CROWD.replace(
        "timeline:",
        "outcome: { alike: [[workers.1, single]] }\ntimeline:",
    );
    assert_error(
        &text,
        7,
        21,
        "`workers.1` is a member of crowd `workers`",
        "alike already",
    );
}

#[test]
fn a_crowd_is_expected_as_a_summary_and_only_a_crowd() {
    let text = format!("{CROWD}  - expect: {{ assignment: {{ workers: [0] }} }}\n");
    assert_error(&text, 10, 29, "`workers` is a crowd", "members_holding");
    let text = format!("{CROWD}  - expect: {{ assignment: {{ single: {{ members: 1 }} }} }}\n");
    assert_error(&text, 10, 29, "`single` is not a crowd", "[0, 1]");
    let text = format!(
        "{CROWD}  - expect: {{ assignment: {{ workers: {{ members_holding: {{ one: 3 }} }} }} }}\n"
    );
    assert_error(
        &text,
        10,
        59,
        "`one` is not a number of partitions",
        "1 partition",
    );
    let text = format!(
        "{CROWD}  - expect: {{ assignment: {{ workers: {{ members: 3, members_holding: {{ none: 0, 1 partition: 3 }}, unowned: 0 }} }} }}\n"
    );
    load_str(Path::new("ok.yaml"), text).expect("a summary of a crowd is valid");
}

#[test]
fn a_member_s_name_is_its_own() {
    let text = CROWD.replace("  single:", "  workers.2:");
    assert_error(
        &text,
        5,
        63,
        "`workers.2`, a member of crowd `workers`",
        "rename",
    );
}

#[test]
fn a_sweep_runs_every_size_of_its_crowds_with_shares_of_them() {
    let text = CROWD
        .replace(
            "  - start: { actor: workers, members: 3 }",
            "  - start: { actor: workers, members: 25% }",
        )
        .replace(
            "timeline:",
            "sweep: { members: [4, 40], partitions: [orders] }\ntimeline:",
        );
    let scenario = load_str(Path::new("ok.yaml"), text).expect("valid");
    let labels: Vec<String> = scenario.plans.iter().map(Plan::label).collect();
    assert_eq!(labels, ["t@4", "t@40"]);
    let large = &scenario.plans[1];
    assert_eq!(large.sweep, Some(40));
    assert_eq!(large.crowds["workers"].len(), 40);
    assert_eq!(large.topics[0].partitions, 40);
    let started = large
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Start(_)))
        .count();
    assert_eq!(started, 10, "a quarter of 40");
}

#[test]
fn a_sweep_needs_a_crowd_and_sizes_once_each() {
    let text = PROCESS.replace("timeline:", "sweep: { members: [2] }\ntimeline:");
    assert_error(&text, 20, 1, "a sweep sizes crowds", "members: N");
    let text = CROWD.replace("timeline:", "sweep: { members: [4, 8, 4] }\ntimeline:");
    assert_error(&text, 7, 26, "4 members is already a size", "");
    let text = CROWD.replace(
        "timeline:",
        "sweep: { members: [4], partitions: [order] }\ntimeline:",
    );
    assert_error(&text, 7, 37, "unknown topic `order`", "orders");
}

#[test]
fn a_kip848_group_with_more_members_than_partitions_cannot_be_awaited_stable() {
    let text = |partitions: u32, frozen: &str| {
        format!(
            "name: t
topics: {{ t: {{ partitions: {partitions} }} }}
actors:
  w: {{ consumer: {{ group: g, topics: [t], members: 5, group.protocol: consumer }} }}
timeline:
  - start: w
{frozen}  - await: {{ stable: g }}
"
        )
    };
    assert_error(
        &text(2, ""),
        7,
        22,
        "has 5 members running on 2 partitions",
        "at least as many partitions as members",
    );
    load_str(Path::new("ok.yaml"), text(5, "")).expect("as many partitions as members");
    // Frozen members are not awaited.
    load_str(
        Path::new("ok.yaml"),
        text(2, "  - freeze: { actor: w, members: 3 }\n"),
    )
    .expect("two members running unfrozen on two partitions");
    // The classic protocol tells every member of its assignment, empty or not.
    load_str(
        Path::new("ok.yaml"),
        text(2, "").replace(", group.protocol: consumer", ""),
    )
    .expect("classic groups may have more members than partitions");
}

#[test]
fn a_drawn_step_says_how_many_members_it_draws() {
    let text = "name: t
topics: { t: { partitions: 4 } }
actors:
  w: { consumer: { group: g, topics: [t], members: 4 } }
timeline:
  - start: w
  - stop: { actor: w, which: drawn }
";
    assert_error(text, 7, 11, "`members` does not say how many", "members: k");
}

#[test]
fn explore_acting_on_a_producer_as_a_consumer() {
    let text = format!("{VALID}explore:\n  events:\n    kill: {{ actors: [feeder] }}\n");
    assert_error(
        &text,
        13,
        22,
        "`feeder` is not a consumer of the harness's own",
        "`kill` acts on `consumer:` actors",
    );
}

#[test]
fn explore_with_broker_faults_needs_brokers_of_its_own() {
    let text = format!("{VALID}explore:\n  events:\n    kill-broker: {{}}\n");
    assert_error(
        &text,
        13,
        5,
        "acts on the scenario's own brokers",
        "brokers: { count: 3 }",
    );
}

#[test]
fn explore_bursts_that_would_outlast_the_heal() {
    let text = VALID.replace("name: t\n", "name: t\nbrokers: { count: 3 }\n")
        + "explore:\n  events:\n    kill-broker: {}\n    produce: { actors: [feeder] }\n";
    assert_error(
        &text,
        15,
        5,
        "keeps trying to deliver a record for 300 s (message.timeout.ms), longer than the heal's 60 s",
        "set `message.timeout.ms: 30000` on `feeder`",
    );
}

#[test]
fn invariants_are_judged_over_the_whole_run() {
    let text = format!("{VALID}  - expect: {{ invariants: [read-backwards] }}\n");
    assert_error(
        &text,
        11,
        15,
        "`invariants` are judged over the whole run",
        "move them to the final `expect:`",
    );
}

#[test]
fn lost_acknowledged_needs_a_read_back() {
    let text = format!("{VALID}expect: {{ invariants: [lost-acknowledged] }}\n");
    assert_error(
        &text,
        11,
        11,
        "`lost-acknowledged` compares what producers were told",
        "brokers: { count: 3 }",
    );
}
