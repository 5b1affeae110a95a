use super::*;

#[test]
fn a_panic_says_what_it_said_with_a_string() {
    let literal = std::thread::spawn(|| panic!("offset went back")).join();
    let formatted = std::thread::spawn(|| panic!("{} went back", "offset")).join();
    let silent = std::thread::spawn(|| std::panic::panic_any(7_u8)).join();
    let message = |joined: std::thread::Result<()>| match joined {
        Err(panic) => panic_message(panic.as_ref()).to_owned(),
        Ok(()) => "no panic".to_owned(),
    };
    assert_eq!(message(literal), "offset went back");
    assert_eq!(message(formatted), "offset went back");
    assert_eq!(message(silent), "a panic without a message");
}
