use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};

use super::*;

#[test]
fn a_request_is_sized_and_starts_with_its_key_and_version() {
    let framed = frame(
        ApiKey::ApiVersions as i16,
        0,
        &ApiVersionsRequest::default(),
    )
    .expect("encodes");
    assert_eq!(&framed[..4], &((framed.len() - 4) as i32).to_be_bytes());
    assert_eq!(&framed[4..6], &18i16.to_be_bytes());
    assert_eq!(&framed[6..8], &0i16.to_be_bytes());
    assert_eq!(&framed[8..12], &1i32.to_be_bytes());
}

#[test]
fn an_answer_decodes_after_its_header_and_a_truncated_one_does_not() {
    // Correlation id 1, error 0, one API: CreatePartitions versions 0 to 3.
    let mut body = vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
    body.extend_from_slice(&[0, 37, 0, 0, 0, 3]);
    let answer: ApiVersionsResponse = decode(&body, 0).expect("decodes");
    assert_eq!(answer.error_code, 0);
    assert_eq!(
        answer
            .api_keys
            .iter()
            .map(|a| (a.api_key, a.min_version, a.max_version))
            .collect::<Vec<_>>(),
        vec![(37, 0, 3)]
    );
    assert!(decode::<ApiVersionsResponse>(&body[..body.len() - 1], 0).is_err());
}
