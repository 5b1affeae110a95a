use super::*;

#[test]
fn a_name_is_interned_once() {
    let names = Symbols::new();
    let a = names.intern("producer");
    let b = names.intern("consumer");
    assert_ne!(a, b);
    assert_eq!(names.intern("producer"), a);
    assert_eq!(&*names.text(a), "producer");
    assert_eq!(&*names.text(b), "consumer");
}

#[test]
fn find_does_not_intern() {
    let names = Symbols::new();
    assert_eq!(names.find("orders"), None);
    let orders = names.intern("orders");
    assert_eq!(names.find("orders"), Some(orders));
}

#[test]
fn an_optional_symbol_takes_four_bytes() {
    assert_eq!(std::mem::size_of::<Option<Sym>>(), 4);
}
