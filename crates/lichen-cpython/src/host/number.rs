//! CPython operations behind the number context functions.

#[allow(unused_imports)]
use super::*;
use lichen_core::host::NumberHost;

impl NumberHost for CPython {}
