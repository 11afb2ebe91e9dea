//! Host operations behind the number context functions.

#[allow(unused_imports)]
use lichen_abi::*;

/// VM operations for the number area of the ABI.
pub trait NumberHost {}
