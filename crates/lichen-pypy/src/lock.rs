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

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Taken with one atomic swap, given back with a plain store: an atomic
/// read-modify-write costs about 10 ns on the machines this runs on, and
/// every call into an extension takes the lock once. A thread that finds it
/// taken spins briefly (holds are short: a callback or a call), then
/// yields, then sleeps in growing steps (a hold can be an extension's long
/// computation); it is never woken, so a release costs nothing.
static LOCKED: AtomicBool = AtomicBool::new(false);

#[inline(always)]
fn lock() {
    if LOCKED.swap(true, Ordering::Acquire) {
        lock_contended();
    }
}

#[cold]
fn lock_contended() {
    let mut round = 0u32;
    loop {
        if !LOCKED.load(Ordering::Relaxed) && !LOCKED.swap(true, Ordering::Acquire) {
            return;
        }
        round += 1;
        match round {
            0..=100 => core::hint::spin_loop(),
            101..=200 => std::thread::yield_now(),
            _ => std::thread::sleep(Duration::from_micros(u64::from((round - 200).min(1000)))),
        }
    }
}

#[inline(always)]
fn unlock() {
    LOCKED.store(false, Ordering::Release);
}

/// This thread's hold on the extension lock, for the duration of an entry.
pub struct Held(());

impl Drop for Held {
    #[inline]
    fn drop(&mut self) {
        leave();
    }
}

/// The proof that this thread holds the extension lock: the PyPy host's
/// token (`lichen_core::host::HostVm`), passed to every host operation.
/// Zero-sized; not `Send` (a hold is per thread), and bounded by the
/// lifetime `'a` of the code it was given to. A callback into PyPy lets the
/// lock go for its duration and takes it back ([`released`]), so the proof
/// holds again wherever the token can be used.
#[derive(Clone, Copy)]
pub struct LockHeld<'a>(core::marker::PhantomData<(&'a (), *const ())>);

impl LockHeld<'_> {
    /// # Safety
    /// The calling thread holds the extension lock, for as long as the
    /// token is used.
    #[inline(always)]
    pub unsafe fn assume() -> Self {
        LockHeld(core::marker::PhantomData)
    }
}

impl Held {
    /// The token of this hold (see [`LockHeld`]).
    #[inline(always)]
    pub fn token(&self) -> LockHeld<'_> {
        LockHeld(core::marker::PhantomData)
    }
}

/// Takes the lock for an entry from Python.
#[inline]
pub fn enter() -> Held {
    reenter();
    Held(())
}

/// Runs `f` (a call into PyPy) with the lock let go, and takes it back.
/// `pure`: `f` runs no code of the user's and changes no list, so the
/// lists' items native code read stay current (see `table::set_items`).
#[inline]
pub fn released<R>(pure: bool, f: impl FnOnce() -> R) -> R {
    if !pure {
        crate::table::new_generation();
    }
    leave();
    let r = f();
    reenter();
    r
}

/// Lets the lock go (`HPy_LeavePythonExecution`); only code running under
/// an entry's hold calls this, and it takes the lock back (`reenter`)
/// before that hold ends.
///
/// The holder's state that is per thread (its pending exception) goes with
/// it: see `host::error::on_release`.
#[inline]
pub fn leave() {
    crate::host::error::on_release();
    unlock();
}

/// Takes the lock back after [`leave`].
#[inline]
pub fn reenter() {
    lock();
    crate::host::error::on_acquire();
}

/// Whether some thread holds the lock (for debug assertions).
#[inline]
pub fn is_locked() -> bool {
    LOCKED.load(Ordering::Relaxed)
}

/// State the extension lock protects: used only by the thread holding it.
pub struct Locked<T>(core::cell::UnsafeCell<T>);

// SAFETY: every access goes through `with`, which requires the extension
// lock, so one thread at a time uses the value.
unsafe impl<T: Send> Sync for Locked<T> {}

impl<T> Locked<T> {
    pub const fn new(value: T) -> Self {
        Locked(core::cell::UnsafeCell::new(value))
    }

    /// Runs `f` on the value; the caller holds the extension lock, and `f`
    /// neither calls into Python nor uses this value again.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        debug_assert!(is_locked(), "lock-protected state used without the extension lock");
        // SAFETY: the lock is held, so this thread alone uses the value, and
        // `f` does not reach it again: this is the only reference.
        f(unsafe { &mut *self.0.get() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_for_callbacks() {
        let held = enter();
        assert!(is_locked());
        released(false, || {
            // another thread can take it meanwhile
            std::thread::spawn(|| drop(enter())).join().unwrap();
        });
        assert!(is_locked());
        drop(held);
        assert!(!is_locked());
    }
}
