//! The process-wide universal context for CPython.

use crate::host::CPython;
use lichen_abi::HPyContext;
use std::sync::OnceLock;

struct ContextPtr(*mut HPyContext);
// SAFETY: the context is built once and never mutated afterwards; the pointer
// is only handed to extensions.
unsafe impl Send for ContextPtr {}
unsafe impl Sync for ContextPtr {}

static UNIVERSAL: OnceLock<ContextPtr> = OnceLock::new();

/// The universal context; built on first use, with the GIL held.
pub fn universal() -> *mut HPyContext {
    UNIVERSAL
        .get_or_init(|| {
            let ctx = lichen_core::context::universal_context::<CPython>(
                c"HPy Universal ABI (Lichen, CPython backend)",
            );
            // Leaked on purpose: extensions keep the pointer for the life of the process.
            ContextPtr(Box::into_raw(Box::new(ctx)))
        })
        .0
}

static TRACE: OnceLock<ContextPtr> = OnceLock::new();

/// The trace-mode context, wrapping the universal one; built on first use.
pub fn trace() -> *mut HPyContext {
    // SAFETY: the universal context lives for the rest of the process.
    TRACE.get_or_init(|| ContextPtr(unsafe { lichen_core::trace::trace_context(universal()) })).0
}

static DEBUG: OnceLock<ContextPtr> = OnceLock::new();

/// The debug-mode context, wrapping the universal one; built on first use.
/// Extensions loaded in debug mode all share it (and its handle table).
pub fn debug() -> *mut HPyContext {
    // SAFETY: the universal context lives for the rest of the process.
    DEBUG.get_or_init(|| ContextPtr(unsafe { lichen_core::debug::debug_context(universal()) })).0
}
