//! The process-wide contexts for RustPython.

use crate::host::RustPython;
use lichen_abi::HPyContext;
use lichen_core::context::{universal_context, ProcessContext};
use lichen_core::loader::Mode;

static UNIVERSAL: ProcessContext = ProcessContext::new();
static TRACE: ProcessContext = ProcessContext::new();
static DEBUG: ProcessContext = ProcessContext::new();

/// The universal context; built on first use, from a thread with a VM (its
/// constants are objects of that VM's interpreter).
pub fn universal() -> *mut HPyContext {
    UNIVERSAL.get_or_leak(|| universal_context::<RustPython>(c"HPy Universal ABI (Lichen, RustPython backend)"))
}

/// The trace-mode context, wrapping the universal one; built on first use.
pub fn trace() -> *mut HPyContext {
    // SAFETY: the universal context lives for the rest of the process.
    TRACE.get_or_init(|| unsafe { lichen_core::trace::trace_context(universal()) })
}

/// The debug-mode context, wrapping the universal one; built on first use.
/// Extensions loaded in debug mode all share it (and its handle table).
pub fn debug() -> *mut HPyContext {
    // SAFETY: the universal context lives for the rest of the process.
    DEBUG.get_or_init(|| unsafe { lichen_core::debug::debug_context::<RustPython>(universal()) })
}

/// The context for extensions loaded in `mode`.
pub fn for_mode(mode: Mode) -> *mut HPyContext {
    match mode {
        Mode::Universal => universal(),
        Mode::Debug => debug(),
        Mode::Trace => trace(),
    }
}
