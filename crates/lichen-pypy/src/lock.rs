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
//! The lock protects the object table and everything else the host keeps
//! between calls; code that touches them runs between `enter` and the drop
//! of its [`Held`], or inside an extension call made under one.

use core::cell::Cell;
use parking_lot::lock_api::RawMutex as _;

static LOCK: parking_lot::RawMutex = parking_lot::RawMutex::INIT;

thread_local! {
    /// How many entries of this thread are inside the lock: entries nest when
    /// a callback's Python code calls back into Lichen on the same thread
    /// (the callback released the lock first, so the count restarts at 0),
    /// and never otherwise; tolerating it costs one compare.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// This thread's hold on the extension lock, for the duration of an entry.
pub struct Held(());

impl Drop for Held {
    fn drop(&mut self) {
        let depth = DEPTH.get() - 1;
        DEPTH.set(depth);
        if depth == 0 {
            // SAFETY: this thread took the lock in `enter` (depth went 0 -> 1).
            unsafe { LOCK.unlock() };
        }
    }
}

/// Takes the lock for an entry from Python (a no-op when this thread
/// already holds it).
#[inline]
pub fn enter() -> Held {
    let depth = DEPTH.get();
    if depth == 0 {
        LOCK.lock();
    }
    DEPTH.set(depth + 1);
    Held(())
}

/// Runs `f` (a call into PyPy) with the lock let go, and takes it back.
#[inline]
pub fn released<R>(f: impl FnOnce() -> R) -> R {
    let depth = leave();
    let r = f();
    reenter(depth);
    r
}

/// Lets the lock go entirely, returning the depth to give to [`reenter`].
#[inline]
pub fn leave() -> u32 {
    let depth = DEPTH.replace(0);
    if depth > 0 {
        // SAFETY: a positive depth means this thread holds the lock.
        unsafe { LOCK.unlock() };
    }
    depth
}

/// Takes the lock back after [`leave`].
#[inline]
pub fn reenter(depth: u32) {
    if depth > 0 {
        LOCK.lock();
    }
    DEPTH.set(depth);
}

/// Whether this thread holds the lock.
#[inline]
pub fn is_held() -> bool {
    DEPTH.get() > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_and_releases() {
        let outer = enter();
        assert!(is_held());
        {
            let _inner = enter();
            assert!(is_held());
        }
        assert!(is_held());
        released(|| {
            assert!(!is_held());
            // another thread can take it meanwhile
            std::thread::spawn(|| drop(enter())).join().unwrap();
        });
        assert!(is_held());
        drop(outer);
        assert!(!is_held());
    }
}
