//! The process-wide universal context for RustPython.

use crate::host::RustPython;
use lichen_abi::HPyContext;
use lichen_core::context::{universal_context, ProcessContext};

static UNIVERSAL: ProcessContext = ProcessContext::new();

/// The universal context; built on first use, from a thread with a VM (its
/// constants are objects of that VM's interpreter).
pub fn universal() -> *mut HPyContext {
    UNIVERSAL.get_or_leak(|| universal_context::<RustPython>(c"HPy Universal ABI (Lichen, RustPython backend)"))
}
