//! Lichen's PyPy host: HPy universal extensions on PyPy through cffi,
//! without cpyext.
//!
//! This crate is a static library that `python/lichen/_pypy/build.py` links
//! into a cffi module (API mode). Python calls the entries of
//! `lichen_pypy.h` ([`entry`]); the host calls back into PyPy through the
//! `extern "Python"` functions of `callbacks.def` ([`callbacks`]) only for
//! what needs the interpreter. See `docs/architecture.md`, "The PyPy host".
#![allow(clippy::missing_safety_doc)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod callbacks;
pub mod capsule;
pub mod context;
pub mod entry;
pub mod host;
mod keyed;
pub mod lock;
pub mod stores;
pub mod table;
pub mod typedef;

/// A C-style enum shared with the Python side, which reads its names and
/// values through `lichen_enum` instead of repeating them.
#[macro_export]
macro_rules! codes {
    ($(#[$doc:meta])* pub enum $name:ident { $($variant:ident = $value:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(i32)]
        pub enum $name { $($variant = $value),* }

        impl $name {
            /// Every value with its name, for `lichen_enum`.
            pub const NAMES: &'static [(&'static str, i32)] = &[$((stringify!($variant), $value)),*];
        }
    };
}
