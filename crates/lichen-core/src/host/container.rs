//! Host operations behind the container context functions.

#[allow(unused_imports)]
use lichen_abi::*;

/// VM operations for the container area of the ABI.
pub trait ContainerHost {}
