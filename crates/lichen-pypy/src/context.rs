//! The process-wide contexts for PyPy (see `lichen_core::context::HostContexts`).

use crate::host::PyPy;
use lichen_core::context::HostContexts;

pub static CONTEXTS: HostContexts<PyPy> = HostContexts::new(c"HPy Universal ABI (Lichen, PyPy backend)");
