//! The process-wide contexts for PyPy.

use crate::host::PyPy;
use lichen_abi::HPyContext;
use lichen_core::context::{universal_context, ProcessContext};
use lichen_core::loader::Mode;

static UNIVERSAL: ProcessContext = ProcessContext::new();
static TRACE: ProcessContext = ProcessContext::new();
static DEBUG: ProcessContext = ProcessContext::new();

pub fn universal() -> *mut HPyContext {
    UNIVERSAL.get_or_leak(|| universal_context::<PyPy>(c"HPy Universal ABI (Lichen, PyPy backend)"))
}

/// The trace-mode context, wrapping the universal one.
pub fn trace() -> *mut HPyContext {
    // SAFETY: the universal context lives for the rest of the process.
    TRACE.get_or_init(|| unsafe { lichen_core::trace::trace_context(universal()) })
}

/// The debug-mode context, wrapping the universal one; extensions loaded
/// in debug mode share it and its handle table.
pub fn debug() -> *mut HPyContext {
    // SAFETY: the universal context lives for the rest of the process.
    DEBUG.get_or_init(|| unsafe { lichen_core::debug::debug_context::<PyPy>(universal()) })
}

pub fn for_mode(mode: Mode) -> *mut HPyContext {
    match mode {
        Mode::Universal => universal(),
        Mode::Debug => debug(),
        Mode::Trace => trace(),
    }
}
