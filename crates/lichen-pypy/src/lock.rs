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

use std::sync::atomic::{compiler_fence, AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Taken with one atomic swap, given back with a plain store. A thread
/// that finds it taken spins briefly (holds are short: a callback or a
/// call), then yields, then sleeps in growing steps (a hold can be an
/// extension's long computation); it is never woken, so a release costs
/// nothing.
///
/// The first thread to take it is then let in without the swap (the lock
/// is *biased* to it, see [`OWNER`]): an atomic read-modify-write costs
/// 10-13 ns on the machines this runs on, as much as the rest of a call
/// that does nothing, and most programs call extensions from one thread.
static LOCKED: AtomicBool = AtomicBool::new(false);

/// The thread the lock is biased to (its thread pointer, see [`this_thread`]);
/// [`NO_OWNER`] until the first hold, [`REVOKED`] once another thread
/// wanted the lock (for good: everyone takes [`LOCKED`] from then on). The
/// owner holds the lock by setting [`INSIDE`] with plain stores: its store
/// and its check of `OWNER` need a full fence against a revoking thread's
/// store and check the other way round, which the revoking thread supplies
/// for both with `membarrier` (asymmetric Dekker: the rare side pays).
static OWNER: AtomicUsize = AtomicUsize::new(NO_OWNER);
const NO_OWNER: usize = 0;
const REVOKED: usize = 1;

/// The owner holds the lock through the fast path.
static INSIDE: AtomicBool = AtomicBool::new(false);

/// The thread the lock was biased to, kept after a revocation: it tells
/// the owner's release of a fast hold from any release of [`LOCKED`].
static BIASED: AtomicUsize = AtomicUsize::new(NO_OWNER);

#[inline(always)]
fn lock() {
    let me = this_thread();
    if me != NO_OWNER && OWNER.load(Ordering::Relaxed) == me {
        INSIDE.store(true, Ordering::Relaxed);
        // a revoking thread's `membarrier` orders this store before its
        // look at INSIDE, or its OWNER store before the look below
        compiler_fence(Ordering::SeqCst);
        if OWNER.load(Ordering::Relaxed) == me {
            compiler_fence(Ordering::Acquire);
            return;
        }
        INSIDE.store(false, Ordering::Release);
    }
    lock_slow(me);
}

#[cold]
fn lock_slow(me: usize) {
    if LOCKED.swap(true, Ordering::Acquire) {
        lock_contended();
    }
    // holding LOCKED: no other thread grants or revokes meanwhile
    match OWNER.load(Ordering::Acquire) {
        REVOKED => {}
        NO_OWNER if me != NO_OWNER && membarrier::ready() => {
            // the lock is biased to this thread from now on: its hold
            // moves from LOCKED to INSIDE (a thread that takes LOCKED next
            // sees the owner, and revokes)
            BIASED.store(me, Ordering::Relaxed);
            INSIDE.store(true, Ordering::Relaxed);
            OWNER.store(me, Ordering::Relaxed);
            LOCKED.store(false, Ordering::Release);
        }
        NO_OWNER => {}
        // this thread's own bias, which its fast path saw end: it never
        // comes back, so LOCKED serves
        owner if owner == me => {}
        _ => revoke(),
    }
}

/// Ends the bias (the caller holds LOCKED): once `membarrier` returns, the
/// owner either sees REVOKED at its next entry or its fast hold shows in
/// INSIDE, which is then waited out.
#[cold]
fn revoke() {
    OWNER.store(REVOKED, Ordering::Relaxed);
    membarrier::fence_all();
    wait_while(|| INSIDE.load(Ordering::Acquire));
}

#[cold]
fn lock_contended() {
    wait_while(|| LOCKED.load(Ordering::Relaxed) || LOCKED.swap(true, Ordering::Acquire));
}

/// Spins, then yields, then sleeps in growing steps while `busy()`.
fn wait_while(mut busy: impl FnMut() -> bool) {
    let mut round = 0u32;
    while busy() {
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
    // INSIDE is set only by the owner, in `lock`: when it is set and this
    // is the owner, this thread holds the lock through it
    if INSIDE.load(Ordering::Relaxed) && this_thread() == BIASED.load(Ordering::Relaxed) {
        INSIDE.store(false, Ordering::Release);
    } else {
        LOCKED.store(false, Ordering::Release);
    }
}

/// An address unique to the calling thread among the live ones (its
/// thread pointer), read without a call; [`NO_OWNER`] where there is none,
/// which keeps the lock unbiased.
#[inline(always)]
fn this_thread() -> usize {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        let tp: usize;
        // SAFETY: on x86-64 Linux (glibc and musl alike) the word at fs:0
        // is the thread control block's pointer to itself, set up before
        // any code of the thread runs; reading it has no side effect.
        unsafe { core::arch::asm!("mov {}, qword ptr fs:[0]", out(reg) tp, options(nostack, readonly, preserves_flags)) };
        tp
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        NO_OWNER
    }
}

/// The process-wide fence a revocation needs (Linux `membarrier`, private
/// expedited: every running thread of the process executes a full memory
/// barrier before it returns).
mod membarrier {
    use std::sync::atomic::{AtomicU8, Ordering};

    const UNTRIED: u8 = 0;
    const READY: u8 = 1;
    const UNAVAILABLE: u8 = 2;
    static STATE: AtomicU8 = AtomicU8::new(UNTRIED);

    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    fn call(cmd: i32) -> i64 {
        const SYS_MEMBARRIER: i64 = 324;
        extern "C" {
            fn syscall(number: i64, ...) -> i64;
        }
        // SAFETY: membarrier takes a command and a flags word and touches
        // no memory of the caller's; an unknown or refused command returns -1.
        unsafe { syscall(SYS_MEMBARRIER, cmd, 0i32) }
    }

    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    fn call(_cmd: i32) -> i64 {
        -1
    }

    const QUERY: i32 = 0;
    const GLOBAL: i32 = 1;
    const PRIVATE_EXPEDITED: i32 = 1 << 3;
    const REGISTER_PRIVATE_EXPEDITED: i32 = 1 << 4;

    /// Whether `fence_all` works in this process (registering it the first
    /// time: a kernel or a sandbox without it leaves the lock unbiased).
    pub fn ready() -> bool {
        match STATE.load(Ordering::Relaxed) {
            READY => true,
            UNAVAILABLE => false,
            _ => {
                let supported = call(QUERY);
                let ok = supported > 0
                    && supported & i64::from(PRIVATE_EXPEDITED) != 0
                    && call(REGISTER_PRIVATE_EXPEDITED) == 0;
                STATE.store(if ok { READY } else { UNAVAILABLE }, Ordering::Relaxed);
                ok
            }
        }
    }

    /// A full memory barrier on every running thread of the process.
    pub fn fence_all() {
        // the registration is inherited across fork and `ready` made it;
        // the global command (slower, unregistered) stands in should the
        // kernel refuse the expedited one all the same
        if call(PRIVATE_EXPEDITED) != 0 && call(GLOBAL) != 0 {
            // registered before any bias was granted, so the kernel cannot
            // refuse it; were it to, the owner's fast path could no longer
            // be excluded, and running on would corrupt the object table
            eprintln!("Lichen: membarrier failed after it was registered; the extension lock cannot be revoked");
            std::process::abort();
        }
    }
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
    LOCKED.load(Ordering::Relaxed) || INSIDE.load(Ordering::Relaxed)
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

    #[test]
    fn excludes_across_the_bias_and_its_revocation() {
        // a plain counter, changed only under the lock: a lost update
        // means two threads were inside at once
        static COUNT: Locked<u64> = Locked::new(0);
        const ROUNDS: u64 = 20_000;
        let bump = || {
            for _ in 0..ROUNDS {
                let _held = enter();
                COUNT.with(|c| {
                    let v = *c;
                    core::hint::spin_loop();
                    *c = v + 1;
                });
            }
        };
        // this thread may be the owner, the others revoke the bias
        let others: Vec<_> = (0..3).map(|_| std::thread::spawn(bump)).collect();
        bump();
        for t in others {
            t.join().unwrap();
        }
        let _held = enter();
        assert_eq!(COUNT.with(|c| *c), 4 * ROUNDS);
    }
}
