//! An optional report for faults in protected raw data (Linux).
//!
//! The `const char *` copies of `RawData` are read-only, and inaccessible
//! once their handle closes, so misusing them faults. The fault itself is a
//! plain memory access no context function sees, and HPy's own tests require
//! it to end the process silently. When asked (`_debug`'s
//! `set_raw_data_fault_report(True)`), a SIGSEGV handler says first which
//! context function produced the data and what went wrong, then lets the
//! previous handler (Python's faulthandler, or the default action) end the
//! process as before.
//!
//! The handler may only do async-signal-safe work: the registry is a fixed
//! array of atomics and the message is formatted on the stack.

use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Mutex;

const SLOTS: usize = 4096;

struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    name_ptr: AtomicUsize,
    name_len: AtomicUsize,
    closed: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    name_ptr: AtomicUsize::new(0),
    name_len: AtomicUsize::new(0),
    closed: AtomicBool::new(false),
};

static REGISTRY: [Slot; SLOTS] = [EMPTY; SLOTS];

/// Records the mapping `[start, start + len)` as raw data made by the context
/// function `func`; `None` when the registry is full (no report for it then).
pub fn register(start: usize, len: usize, func: &'static str) -> Option<usize> {
    for (i, slot) in REGISTRY.iter().enumerate() {
        if slot.start.load(SeqCst) == 0 && slot.name_ptr.compare_exchange(0, 1, SeqCst, SeqCst).is_ok() {
            slot.len.store(len, SeqCst);
            slot.name_len.store(func.len(), SeqCst);
            slot.closed.store(false, SeqCst);
            slot.name_ptr.store(func.as_ptr() as usize, SeqCst);
            slot.start.store(start, SeqCst);
            return Some(i);
        }
    }
    None
}

/// The handle of the data in slot `i` was closed.
pub fn mark_closed(i: usize) {
    REGISTRY[i].closed.store(true, SeqCst);
}

/// The data in slot `i` was unmapped.
pub fn unregister(i: usize) {
    let slot = &REGISTRY[i];
    slot.start.store(0, SeqCst);
    slot.name_ptr.store(0, SeqCst);
}

/// The SIGSEGV action in place before ours, while ours is installed.
static PREVIOUS: Mutex<Option<libc::sigaction>> = Mutex::new(None);
/// A copy of `PREVIOUS` the handler can read without locking.
static mut PREVIOUS_FOR_HANDLER: core::mem::MaybeUninit<libc::sigaction> = core::mem::MaybeUninit::uninit();
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Installs or removes the report.
pub fn set_enabled(on: bool) {
    let mut previous = PREVIOUS.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: plain sigaction calls with fully initialized structs; the
    // handler's copy is written before the handler can run and not while it
    // is installed.
    unsafe {
        if on && previous.is_none() {
            let mut action: libc::sigaction = core::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old: libc::sigaction = core::mem::zeroed();
            libc::sigaction(libc::SIGSEGV, core::ptr::null(), &mut old);
            (*core::ptr::addr_of_mut!(PREVIOUS_FOR_HANDLER)).write(old);
            if libc::sigaction(libc::SIGSEGV, &action, core::ptr::null_mut()) == 0 {
                *previous = Some(old);
                INSTALLED.store(true, SeqCst);
            }
        } else if !on {
            if let Some(old) = previous.take() {
                INSTALLED.store(false, SeqCst);
                libc::sigaction(libc::SIGSEGV, &old, core::ptr::null_mut());
            }
        }
    }
}

pub fn enabled() -> bool {
    INSTALLED.load(SeqCst)
}

/// Appends `s` to `buf` at `*n`, as far as it fits.
fn put(buf: &mut [u8], n: &mut usize, s: &[u8]) {
    for &b in s {
        if *n < buf.len() {
            buf[*n] = b;
            *n += 1;
        }
    }
}

fn put_hex(buf: &mut [u8], n: &mut usize, mut v: usize) {
    let mut digits = [0u8; 16];
    let mut k = 0;
    loop {
        digits[k] = b"0123456789abcdef"[v & 0xf];
        k += 1;
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    put(buf, n, b"0x");
    while k > 0 {
        k -= 1;
        put(buf, n, &digits[k..=k]);
    }
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, _uctx: *mut c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    for slot in REGISTRY.iter() {
        let start = slot.start.load(SeqCst);
        if start == 0 || addr < start || addr >= start + slot.len.load(SeqCst) {
            continue;
        }
        let mut buf = [0u8; 320];
        let mut n = 0;
        put(&mut buf, &mut n, b"Lichen debug mode: invalid access at ");
        put_hex(&mut buf, &mut n, addr);
        put(&mut buf, &mut n, b" to the raw data returned by ctx_");
        let (p, len) = (slot.name_ptr.load(SeqCst), slot.name_len.load(SeqCst));
        if p > 1 {
            // SAFETY: `p`/`len` describe a `&'static str` given to `register`.
            put(&mut buf, &mut n, unsafe { core::slice::from_raw_parts(p as *const u8, len) });
        }
        if slot.closed.load(SeqCst) {
            put(&mut buf, &mut n, b": its handle was closed, the data is gone\n");
        } else {
            put(&mut buf, &mut n, b": the data is read-only\n");
        }
        // SAFETY: write(2) is async-signal-safe; `buf[..n]` is initialized.
        unsafe { libc::write(2, buf.as_ptr().cast(), n) };
        break;
    }
    // Hand the fault back: with the previous action restored, returning
    // re-executes the access, which faults again into it.
    // SAFETY: PREVIOUS_FOR_HANDLER was written before this handler was
    // installed; sigaction is async-signal-safe.
    unsafe {
        libc::sigaction(sig, (*core::ptr::addr_of!(PREVIOUS_FOR_HANDLER)).as_ptr(), core::ptr::null_mut());
    }
}
