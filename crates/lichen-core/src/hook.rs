//! A Python function kept by a process-wide setting (trace mode's entry and
//! exit hooks, debug mode's invalid-handle hooks): set from one thread,
//! called from any.
//!
//! The slot owns a universal handle. A caller takes a reference of its own
//! under the slot's lock and calls through it, so a replacement on another
//! thread cannot free the function while it runs. Without that, only a GIL
//! (and no thread switch while a call allocates) kept the function alive:
//! RustPython has no GIL, nor has a free-threaded CPython. The lock is held
//! for the swap or the `Dup`, never while Python code runs.

use lichen_abi::{HPy, HPyContext};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

pub struct HookSlot {
    /// Whether a hook is set: when none is (the common case) a caller pays
    /// one load and no lock. A stale value only makes a call miss a hook set
    /// at that very moment.
    set: AtomicBool,
    /// The owned universal handle, NULL when unset.
    func: Mutex<HPy>,
}

impl Default for HookSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl HookSlot {
    pub const fn new() -> Self {
        HookSlot { set: AtomicBool::new(false), func: Mutex::new(HPy::NULL) }
    }

    fn lock(&self) -> MutexGuard<'_, HPy> {
        self.func.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `func` the hook (the slot owns it from now on; NULL clears) and
    /// closes the previous one.
    ///
    /// # Safety
    /// `uctx` is a live universal context and `func` NULL or a universal
    /// handle of it that the caller gives up.
    pub unsafe fn replace(&self, uctx: *mut HPyContext, func: HPy) {
        let old = {
            let mut slot = self.lock();
            self.set.store(!func.is_null(), Relaxed);
            core::mem::replace(&mut *slot, func)
        };
        // Closed after the lock is released: closing may run Python code.
        if !old.is_null() {
            // SAFETY: `old` was the slot's own handle.
            unsafe { ((*uctx).ctx_Close)(uctx, old) }
        }
    }

    /// A new universal handle to the hook (the caller closes it), NULL when
    /// none is set.
    ///
    /// # Safety
    /// `uctx` is the live universal context the slot's handles belong to.
    pub unsafe fn get(&self, uctx: *mut HPyContext) -> HPy {
        if !self.set.load(Relaxed) {
            return HPy::NULL;
        }
        let slot = self.lock();
        if slot.is_null() {
            return HPy::NULL;
        }
        // SAFETY: the slot's handle is live while the lock is held (a
        // replacement closes it only after taking it out); `Dup` only adds a
        // reference and runs no Python code.
        unsafe { ((*uctx).ctx_Dup)(uctx, *slot) }
    }
}
