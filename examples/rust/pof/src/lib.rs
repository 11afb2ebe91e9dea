//! HPy 0.9.0's proof-of-concept, rewritten in safe Rust: the modules `pof`
//! and `pofcpp` (the same functions and `Point` type; the C++ original
//! differs only in its language), `pofpackage.foo` and `pofpackage.bar`.

mod bar;
mod foo;
mod pof;
mod pofcpp;
