//! CPython operations behind the types context functions.

#[allow(unused_imports)]
use super::*;
use lichen_core::host::TypeHost;

impl TypeHost for CPython {}
