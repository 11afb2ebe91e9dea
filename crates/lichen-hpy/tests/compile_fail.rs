//! What the types must reject at compile time: a handle escaping its call,
//! a handle used while the interpreter is released, a payload whose
//! alignment HPy does not guarantee, and what HPy 0.9 cannot express.

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
