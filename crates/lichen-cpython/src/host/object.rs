//! CPython operations behind the object context functions.

#[allow(unused_imports)]
use super::*;
use lichen_core::host::ObjectHost;

impl ObjectHost for CPython {}
