//! The process-wide contexts for CPython (see `lichen_core::context::HostContexts`).

use crate::host::CPython;
use lichen_core::context::HostContexts;

pub static CONTEXTS: HostContexts<CPython> = HostContexts::new(c"HPy Universal ABI (Lichen, CPython backend)");
