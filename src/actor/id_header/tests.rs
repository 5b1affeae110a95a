use rdkafka::message::{Header, OwnedHeaders};

use super::*;
use crate::actor::RECORD_ID_HEADER;

fn headers(list: &[(&str, Option<&[u8]>)]) -> OwnedHeaders {
    list.iter()
        .fold(OwnedHeaders::new(), |headers, (key, value)| {
            headers.insert(Header { key, value: *value })
        })
}

#[test]
fn the_first_id_header_is_found_among_others() {
    let list = headers(&[
        ("other", Some(b"x")),
        (RECORD_ID_HEADER, Some(b"p:1")),
        (RECORD_ID_HEADER, Some(b"p:2")),
    ]);
    assert_eq!(id_header(list.as_borrowed()), Some(&b"p:1"[..]));
}

#[test]
fn no_id_header_or_one_without_a_value_gives_none() {
    let none = headers(&[("other", Some(b"x")), ("ks-id2", Some(b"p:1"))]);
    assert_eq!(id_header(none.as_borrowed()), None);
    let empty = headers(&[(RECORD_ID_HEADER, None)]);
    assert_eq!(id_header(empty.as_borrowed()), None);
}

#[test]
fn an_empty_value_is_a_value() {
    let list = headers(&[(RECORD_ID_HEADER, Some(b""))]);
    assert_eq!(id_header(list.as_borrowed()), Some(&b""[..]));
}
