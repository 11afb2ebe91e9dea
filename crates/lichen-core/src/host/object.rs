//! Host operations behind the object context functions.

#[allow(unused_imports)]
use lichen_abi::*;

/// VM operations for the object area of the ABI.
pub trait ObjectHost {}
