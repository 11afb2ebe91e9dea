//! The process-wide universal context for RustPython.

use crate::host::RustPython;
use lichen_abi::HPyContext;
use std::sync::OnceLock;

struct ContextPtr(*mut HPyContext);
// SAFETY: the context is built once and never mutated afterwards; the pointer
// is only handed to extensions.
unsafe impl Send for ContextPtr {}
unsafe impl Sync for ContextPtr {}

static UNIVERSAL: OnceLock<ContextPtr> = OnceLock::new();

/// The universal context; built on first use, from a thread with a VM (its
/// constants are objects of that VM's interpreter).
pub fn universal() -> *mut HPyContext {
    UNIVERSAL
        .get_or_init(|| {
            let ctx = lichen_core::context::universal_context::<RustPython>(
                c"HPy Universal ABI (Lichen, RustPython backend)",
            );
            // Leaked on purpose: extensions keep the pointer for the life of the process.
            ContextPtr(Box::into_raw(Box::new(ctx)))
        })
        .0
}
