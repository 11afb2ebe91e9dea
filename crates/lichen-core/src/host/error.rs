//! Host operations behind the error context functions.

#[allow(unused_imports)]
use lichen_abi::*;

/// Exception classes the core raises by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExcKind {
    SystemError,
    TypeError,
    ValueError,
    ImportError,
    RuntimeError,
    NotImplementedError,
    MemoryError,
    OverflowError,
    IndexError,
    KeyError,
    AttributeError,
}

/// VM operations for the error area of the ABI.
pub trait ErrorHost {
    /// Sets the pending exception to `kind(message)`.
    fn raise(kind: ExcKind, message: &str);
}
