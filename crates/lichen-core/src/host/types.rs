//! Host operations behind the types context functions.

#[allow(unused_imports)]
use lichen_abi::*;

/// VM operations for the types area of the ABI.
pub trait TypeHost {}
