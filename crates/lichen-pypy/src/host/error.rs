//! The pending exception: kept natively, per thread, and turned into a PyPy
//! exception object only when it reaches Python (or a context function
//! needs the object). `HPyErr_SetString` and the errors the core raises cost
//! no call into PyPy; an extension that sets and clears errors on its fast
//! path (a failed conversion it handles itself) never pays for one.

use super::*;
use crate::callbacks::py;
use core::cell::RefCell;
use core::ffi::{c_char, c_int, CStr};
use lichen_abi::*;
use lichen_core::host::{ErrorHost, ExcKind};
use std::ffi::CString;

/// An exception set but not yet made into an object. Handles are owned.
pub enum Pending {
    /// `ty(message)`.
    Message { ty: HPy, message: CString },
    /// `ty` raised with `value` (NULL: none), as `raise ty(value)` would.
    Value { ty: HPy, value: HPy },
    /// An exception object.
    Raised(HPy),
    /// What a callback raised: Python keeps the exception, per thread (see
    /// `on_callback_error` in python/lichen/_pypy/errors.py), so that
    /// recording it makes no call a stack at its limit could not make.
    RaisedInPython,
}

impl Pending {
    fn release(self) {
        match self {
            Pending::Message { ty, .. } => table::close(ty),
            Pending::Value { ty, value } => {
                table::close(ty);
                table::close(value);
            }
            Pending::Raised(e) => table::close(e),
            Pending::RaisedInPython => {}
        }
    }
}

/// The pending exception of the thread that holds the extension lock. HPy's
/// pending exception is per thread; since one thread at a time runs under
/// the lock, the holder's lives here, and a thread that lets the lock go
/// with an exception pending (a failed call Python has yet to take it from,
/// an extension calling back into Python with one set) stashes it in its
/// thread-local storage until it takes the lock again. So the common call,
/// which ends with no exception pending, touches no thread-local storage.
struct Holder {
    pending: Option<Pending>,
    /// The pending exception was set by an implementation that then
    /// returned a result anyway (a SystemError for Python, with it as the
    /// cause).
    stray: bool,
    /// The pending exception stays for the rest of the call: the
    /// RecursionError of a callback PyPy could not run (see
    /// `set_exhausted`), or an exception a check raised (see
    /// `keep_pending`).
    sticky: bool,
    /// How many threads have a stashed exception.
    stashed: usize,
}

struct Shared(core::cell::UnsafeCell<Holder>);
// SAFETY: used only under the extension lock (see `with`).
unsafe impl Sync for Shared {}

static HOLDER: Shared = Shared(core::cell::UnsafeCell::new(Holder { pending: None, stray: false, sticky: false, stashed: 0 }));

#[inline]
fn with<R>(f: impl FnOnce(&mut Holder) -> R) -> R {
    debug_assert!(crate::lock::is_locked());
    // SAFETY: the extension lock is held (this runs in an entry or in code
    // called under one, or in the lock's own acquire and release), and `f`
    // does not call back into `with`.
    f(unsafe { &mut *HOLDER.0.get() })
}

/// A thread's stashed exception, with its `stray` and `sticky` flags; one
/// left at thread exit is released.
struct Stash(Option<(Pending, bool, bool)>);

impl Drop for Stash {
    fn drop(&mut self) {
        if let Some((p, _, _)) = self.0.take() {
            let _held = crate::lock::enter();
            with(|h| h.stashed -= 1);
            p.release();
        }
    }
}

thread_local! {
    static STASH: RefCell<Stash> = const { RefCell::new(Stash(None)) };
    /// The message of the last error `take` handed to Python, kept until the
    /// next one so that Python can read it.
    static LAST_MESSAGE: RefCell<CString> = RefCell::new(CString::default());
}

/// Before this thread lets the extension lock go: its pending exception,
/// if any, to its stash. Inline: every entry passes here, and most have
/// nothing to stash.
#[inline(always)]
pub(crate) fn on_release() {
    if with(|h| h.pending.is_some() || h.stray) {
        stash_pending();
    }
}

#[cold]
#[inline(never)]
fn stash_pending() {
    let taken = with(|h| {
        h.stashed += 1;
        let sticky = core::mem::take(&mut h.sticky);
        let stray = core::mem::take(&mut h.stray);
        h.pending.take().map(|p| (p, stray, sticky))
    });
    if let Some(t) = taken {
        STASH.with(|s| s.borrow_mut().0 = Some(t));
    }
}

/// After this thread took the extension lock: its stashed exception, if it
/// has one, becomes pending again.
#[inline(always)]
pub(crate) fn on_acquire() {
    if with(|h| h.stashed != 0) {
        unstash();
    }
}

#[cold]
#[inline(never)]
fn unstash() {
    if let Some((p, stray, sticky)) = STASH.with(|s| s.borrow_mut().0.take()) {
        with(|h| {
            h.stashed -= 1;
            h.pending = Some(p);
            h.stray = stray;
            h.sticky = sticky;
        });
    }
}

/// Makes `p` the pending exception, releasing the one it replaces; but
/// while a sticky one is pending (an exhausted stack's RecursionError, a
/// check's exception), `p` is dropped: the extension most likely set it
/// because a callback's failure looked like an answer (a type check that
/// could not run reads as "no"), and the call must fail with the real
/// cause.
pub fn set(p: Pending) {
    let old = with(|h| if h.sticky { Some(p) } else { h.pending.replace(p) });
    if let Some(old) = old {
        old.release();
    }
}

/// Makes `p`, a RecursionError, the pending exception until it is taken.
pub fn set_exhausted(p: Pending) {
    set(p);
    with(|h| h.sticky = true);
}

/// A check's callback raised (a RecursionError near the end of the
/// stack): HPy gives the extension no error channel for a check, so its
/// failure reads as "no", and the exception stays pending for the rest of
/// the call, as an exhausted stack's does, so that what the extension does
/// about the wrong answer does not hide the cause.
pub fn keep_pending() {
    with(|h| {
        if h.pending.is_some() {
            h.sticky = true;
        }
    });
}

/// Takes the pending exception.
pub fn take() -> Option<Pending> {
    with(|h| {
        h.sticky = false;
        h.pending.take()
    })
}

/// Takes whether the pending exception came with a result (and forgets it).
pub fn take_stray() -> bool {
    with(|h| core::mem::take(&mut h.stray))
}

/// Records that an implementation returned a result with the pending
/// exception set: the call fails with it as the cause of a SystemError.
pub fn mark_stray() {
    with(|h| h.stray = true)
}

#[inline]
pub fn occurred() -> bool {
    with(|h| h.pending.is_some())
}

/// Keeps `message` for Python to read; its address and length.
pub fn keep_message(message: CString) -> (*const c_char, usize) {
    LAST_MESSAGE.with(|m| {
        let mut m = m.borrow_mut();
        *m = message;
        (m.as_ptr(), m.as_bytes().len())
    })
}

/// The exception class the core names, as a context constant.
pub fn exc_class(kind: ExcKind) -> HPy {
    constant(match kind {
        ExcKind::SystemError => "SystemError",
        ExcKind::TypeError => "TypeError",
        ExcKind::ValueError => "ValueError",
        ExcKind::ImportError => "ImportError",
        ExcKind::RuntimeError => "RuntimeError",
        ExcKind::NotImplementedError => "NotImplementedError",
        ExcKind::MemoryError => "MemoryError",
        ExcKind::OverflowError => "OverflowError",
        ExcKind::IndexError => "IndexError",
        ExcKind::KeyError => "KeyError",
        ExcKind::AttributeError => "AttributeError",
    })
}

/// A `CString` of `message`, with any NUL cut off.
fn c_message(message: &str) -> CString {
    let bytes = message.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// Raises `kind(message)` and returns `value`, for one-line failures (the
/// pending exception is state the extension lock protects, see `set`).
pub fn fail<T>(kind: ExcKind, message: &str, value: T) -> T {
    set(Pending::Message { ty: exc_class(kind), message: c_message(message) });
    value
}

impl ErrorHost for PyPy {
    fn raise(_held: LockHeld<'_>, kind: ExcKind, message: &str) {
        fail(kind, message, ())
    }

    unsafe fn err_set_string(_held: LockHeld<'_>, ty: HPy, utf8_message: *const c_char) {
        let message = if utf8_message.is_null() {
            CString::default()
        } else {
            // SAFETY: the ABI requires a NUL-terminated message.
            unsafe { CStr::from_ptr(utf8_message) }.to_owned()
        };
        set(Pending::Message { ty: table::dup(ty), message });
    }

    fn err_set_object(_held: LockHeld<'_>, ty: HPy, value: HPy) {
        set(Pending::Value { ty: table::dup(ty), value: table::dup(value) });
    }

    unsafe fn err_set_from_errno(_held: LockHeld<'_>, ty: HPy, filename: *const c_char) {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        py!(err_from_errno(ty._i, errno, filename, 0, 0));
    }

    fn err_set_from_errno_objects(_held: LockHeld<'_>, ty: HPy, filename1: HPy, filename2: HPy) {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        py!(err_from_errno(ty._i, errno, core::ptr::null(), filename1._i, filename2._i));
    }

    fn err_no_memory(_held: LockHeld<'_>) {
        set(Pending::Value { ty: constant("MemoryError"), value: HPy::NULL });
    }

    fn err_occurred(_held: LockHeld<'_>) -> bool {
        occurred()
    }

    fn err_exception_matches(_held: LockHeld<'_>, exc: HPy) -> bool {
        let given = with(|h| match &h.pending {
            None => None,
            Some(Pending::Message { ty, .. } | Pending::Value { ty, .. }) => Some(*ty),
            Some(Pending::Raised(e)) => Some(*e),
            Some(Pending::RaisedInPython) => Some(HPy::NULL),
        })
        .map(table::dup);
        let Some(given) = given else { return false };
        // NULL `given`: the exception Python keeps
        let matches = (!given.is_null() && given == exc) || py!(exception_matches(given._i, exc._i)) == 1;
        table::close(given);
        matches
    }

    fn err_clear(_held: LockHeld<'_>) {
        with(|h| h.stray = false);
        if let Some(p) = take() {
            p.release();
        }
    }

    unsafe fn new_exception(_held: LockHeld<'_>, utf8_name: *const c_char, utf8_doc: *const c_char, base: HPy, dict: HPy) -> HPy {
        h(py!(new_exception(utf8_name, utf8_doc, base._i, dict._i)))
    }

    unsafe fn warn(_held: LockHeld<'_>, category: HPy, utf8_message: *const c_char, stack_level: HPy_ssize_t) -> c_int {
        py!(warn(category._i, utf8_message, stack_level))
    }

    fn write_unraisable(_held: LockHeld<'_>, obj: HPy) {
        py!(write_unraisable(obj._i))
    }

    fn note_pending_error(_held: LockHeld<'_>, note: &str) {
        if occurred() {
            let note = c_message(note);
            py!(note_error(note.as_ptr()))
        }
    }
}
