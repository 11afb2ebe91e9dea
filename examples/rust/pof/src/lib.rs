//! HPy 0.9.0's proof-of-concept, rewritten in safe Rust: the modules `pof`
//! and `pofcpp` (the same functions and `Point` type; the C++ original
//! differs only in its language), `pofpackage.foo` and `pofpackage.bar`.

// Each file holds one Python module, its `mod` named as Python imports it.
#![allow(clippy::module_inception)]

mod bar;
mod foo;
mod pof;
mod pofcpp;
