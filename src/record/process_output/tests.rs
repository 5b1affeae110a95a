use super::*;

#[test]
fn tail_shows_the_last_lines_of_stderr_or_says_nothing_was_printed() {
    let mut output = ProcessOutput::default();
    output
        .stderr
        .extend(["a".to_owned(), "b".to_owned(), "c".to_owned()]);
    assert_eq!(output.tail(2), "last stderr lines:\n  b\n  c");
    assert_eq!(ProcessOutput::default().tail(2), "it printed nothing");
}
