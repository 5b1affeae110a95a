use serde_json::json;

use super::*;

#[test]
fn a_free_string_may_be_a_number_or_a_boolean_and_a_constrained_one_may_not() {
    let mut schema = json!({
        "properties": {
            "name": { "type": "string" },
            "sleep": { "type": "string", "pattern": "^[0-9]+s$" },
            "mode": { "type": "string", "enum": ["a", "b"] }
        },
        "required": ["name", "sleep", "mode"]
    });
    as_loose_as_the_loader(&mut schema);
    assert_eq!(
        schema["properties"]["name"]["type"],
        json!(["string", "number", "boolean"])
    );
    assert_eq!(schema["properties"]["sleep"]["type"], json!("string"));
    assert_eq!(schema["properties"]["mode"]["type"], json!("string"));
}

#[test]
fn an_optional_key_may_be_left_empty_and_a_required_one_may_not() {
    let mut schema = json!({
        "properties": {
            "topics": { "type": "object" },
            "about": { "type": "string", "default": "" },
            "defaults": { "description": "d", "allOf": [{ "$ref": "#/definitions/Defaults" }] },
            "brokers": { "anyOf": [{ "$ref": "#/definitions/B" }, { "type": "null" }] },
            "keys": { "type": ["array", "null"] }
        },
        "required": ["topics"]
    });
    as_loose_as_the_loader(&mut schema);
    let properties = &schema["properties"];
    assert_eq!(properties["topics"]["type"], json!("object"));
    assert_eq!(
        properties["about"]["type"],
        json!(["string", "number", "boolean", "null"])
    );
    assert_eq!(
        properties["defaults"],
        json!({
            "description": "d",
            "anyOf": [{ "allOf": [{ "$ref": "#/definitions/Defaults" }] }, { "type": "null" }]
        })
    );
    assert_eq!(
        properties["brokers"]["anyOf"],
        json!([{ "$ref": "#/definitions/B" }, { "type": "null" }])
    );
    assert_eq!(properties["keys"]["type"], json!(["array", "null"]));
}

#[test]
fn a_choice_of_one_key_is_titled_by_its_key_and_others_are_left_alone() {
    let mut schema = json!({
        "oneOf": [
            { "properties": { "start": {} }, "required": ["start"], "type": "object" },
            { "properties": { "sleep": {} }, "required": ["sleep"], "title": "kept" },
            { "properties": { "a": {}, "b": {} }, "required": ["a"] },
            { "type": "string" }
        ]
    });
    name_the_choices(&mut schema);
    let titles: Vec<&Value> = (0..4).map(|i| &schema["oneOf"][i]["title"]).collect();
    assert_eq!(
        titles,
        [
            &json!("start: …"),
            &json!("kept"),
            &Value::Null,
            &Value::Null
        ]
    );
}
