use super::*;

fn values(slot: &Slot) -> Option<String> {
    let value = match slot {
        Slot::Bootstrap => "127.0.0.1:9092",
        Slot::Topic(name) if name == "orders" => "orders-r1",
        Slot::Var(name) if name == "course" => "/src/course",
        _ => return None,
    };
    Some(value.to_owned())
}

#[test]
fn fills_in_every_placeholder() {
    let template = Template::parse("{var.course}/11.consumer.py {topic.orders} at {bootstrap}")
        .expect("valid");
    assert_eq!(
        template.render(values).as_deref(),
        Ok("/src/course/11.consumer.py orders-r1 at 127.0.0.1:9092")
    );
}

#[test]
fn doubled_braces_are_literal() {
    let template = Template::parse("{{\"a\": \"{bootstrap}\"}}").expect("valid");
    assert_eq!(
        template.render(values).as_deref(),
        Ok("{\"a\": \"127.0.0.1:9092\"}")
    );
    assert_eq!(template.slots().count(), 1);
}

#[test]
fn text_without_placeholders_is_itself() {
    let template = Template::parse("python3 -u").expect("valid");
    assert_eq!(template.render(|_| None).as_deref(), Ok("python3 -u"));
}

#[test]
fn an_unknown_placeholder_is_refused_where_it_stands() {
    let error = Template::parse("run {bootstrap} {topics.orders}").expect_err("unknown");
    assert_eq!(error.offset, 16);
    assert!(
        error.message.contains("`{topics.orders}`"),
        "{}",
        error.message
    );
    assert!(error.hint.contains("{topic.NAME}"));
}

#[test]
fn unbalanced_braces_are_refused() {
    assert_eq!(Template::parse("a {bootstrap").expect_err("open").offset, 2);
    assert_eq!(Template::parse("a } b").expect_err("close").offset, 2);
    assert!(Template::parse("{var.}").is_err());
}

#[test]
fn a_placeholder_without_a_value_is_named() {
    let template = Template::parse("{sasl.password}").expect("valid");
    assert_eq!(
        template.render(values),
        Err(&Slot::Sasl(SaslField::Password))
    );
    assert_eq!(
        Slot::Sasl(SaslField::Password).to_string(),
        "{sasl.password}"
    );
}
