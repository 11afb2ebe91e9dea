//! Host operations behind the text context functions.

#[allow(unused_imports)]
use lichen_abi::*;

/// VM operations for the text area of the ABI.
pub trait TextHost {}
