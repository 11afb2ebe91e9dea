//! The extension lock.
//!
//! cffi runs every C call without PyPy's GIL, so two PyPy threads could be
//! inside extension code, or inside Lichen's tables, at once. HPy extensions
//! are written for a runtime that runs them one thread at a time (CPython's
//! GIL, PyPy's own HPy), so this host gives them a lock of their own: a
//! thread holds it exactly while it runs native code on Python's behalf.
//! Every entry from Python takes it; every call back into Python lets it go
//! for the duration (so Python code, which may wait on other threads, never
//! runs with it held, and the lock can never be waited for by a thread that
//! holds PyPy's GIL); `HPy_LeavePythonExecution` lets it go until
//! `HPy_ReenterPythonExecution`, as CPython lets the GIL go.
//!
//! Since Python code never runs with the lock held, an entry (always called
//! by Python code) never finds its own thread holding it: the lock needs no
//! count of its holder, which keeps thread-local storage (a call into the C
//! library for code in a shared object) off the path of every call.
//!
//! The lock protects the object table and everything else the host keeps
//! between calls; code that touches them runs between `enter` and the drop
//! of its [`Held`], or inside an extension call made under one.

use parking_lot::lock_api::RawMutex as _;

static LOCK: parking_lot::RawMutex = parking_lot::RawMutex::INIT;

/// This thread's hold on the extension lock, for the duration of an entry.
pub struct Held(());

impl Drop for Held {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `enter` took the lock for this `Held`, on this thread.
        unsafe { LOCK.unlock() };
    }
}

/// Takes the lock for an entry from Python.
#[inline]
pub fn enter() -> Held {
    LOCK.lock();
    Held(())
}

/// Runs `f` (a call into PyPy) with the lock let go, and takes it back.
#[inline]
pub fn released<R>(f: impl FnOnce() -> R) -> R {
    leave();
    let r = f();
    reenter();
    r
}

/// Lets the lock go (`HPy_LeavePythonExecution`).
#[inline]
pub fn leave() {
    // SAFETY: only code running under an entry's hold calls this, and it
    // takes the lock back (`reenter`) before that hold ends.
    unsafe { LOCK.unlock() };
}

/// Takes the lock back after [`leave`].
#[inline]
pub fn reenter() {
    LOCK.lock();
}

/// Whether some thread holds the lock (for debug assertions).
#[inline]
pub fn is_locked() -> bool {
    LOCK.is_locked()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_for_callbacks() {
        let held = enter();
        assert!(is_locked());
        released(|| {
            // another thread can take it meanwhile
            std::thread::spawn(|| drop(enter())).join().unwrap();
        });
        assert!(is_locked());
        drop(held);
        assert!(!is_locked());
    }
}
