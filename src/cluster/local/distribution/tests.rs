use super::server_version;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_version_comes_from_the_server_jar() {
    let libs = names(&[
        "kafka-clients-4.1.1.jar",
        "kafka_2.13-4.1.1.jar",
        "zstd-jni-1.5.6-10.jar",
    ]);
    assert_eq!(server_version(&libs).as_deref(), Some("4.1.1"));
    assert_eq!(
        server_version(&names(&["kafka_2.12-3.9.1.jar"])).as_deref(),
        Some("3.9.1")
    );
}

#[test]
fn test_and_source_jars_are_not_the_server() {
    let libs = names(&["kafka_2.13-4.1.1-test.jar", "kafka_2.13-4.1.1-sources.jar"]);
    assert_eq!(server_version(&libs), None);
    assert_eq!(server_version(&names(&["kafka-clients-4.1.1.jar"])), None);
}
