//! The process-wide contexts for RustPython (see `lichen_core::context::HostContexts`).

use crate::host::RustPython;
use lichen_core::context::HostContexts;

pub static CONTEXTS: HostContexts<RustPython> = HostContexts::new(c"HPy Universal ABI (Lichen, RustPython backend)");
