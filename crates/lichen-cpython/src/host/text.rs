//! CPython operations behind the text context functions.

#[allow(unused_imports)]
use super::*;
use lichen_core::host::TextHost;

impl TextHost for CPython {}
