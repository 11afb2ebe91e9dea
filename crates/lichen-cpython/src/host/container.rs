//! CPython operations behind the container context functions.

#[allow(unused_imports)]
use super::*;
use lichen_core::host::ContainerHost;

impl ContainerHost for CPython {}
