use super::*;

#[test]
fn an_id_splits_at_its_last_colon() {
    assert_eq!(split_id(b"producer:12"), Some((&b"producer"[..], 12)));
    assert_eq!(split_id(b"a:b:7"), Some((&b"a:b"[..], 7)));
    assert_eq!(split_id(b":0"), Some((&b""[..], 0)));
    assert_eq!(
        split_id(b"p:18446744073709551615"),
        Some((&b"p"[..], u64::MAX))
    );
}

#[test]
fn a_header_that_is_no_id_gives_none() {
    for header in [
        &b"producer"[..],
        b"producer:",
        b"producer:x",
        b"p:-1",
        b"p:99999999999999999999",
        b"p:+1",
        b"p:1 ",
    ] {
        assert_eq!(
            split_id(header),
            None,
            "{:?}",
            String::from_utf8_lossy(header)
        );
    }
}
