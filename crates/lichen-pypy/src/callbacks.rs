//! The calls into PyPy (`callbacks.def`), set once by `lichen_init`.

use std::sync::OnceLock;

include!(concat!(env!("OUT_DIR"), "/callbacks.rs"));

static CALLBACKS: OnceLock<Callbacks> = OnceLock::new();

/// Installs the table the cffi module filled; false if one is installed.
pub fn install(table: Callbacks) -> bool {
    CALLBACKS.set(table).is_ok()
}

/// The table. Context functions only run in extensions that were loaded
/// after `lichen_init`, so it is always there when they ask.
#[inline(always)]
pub fn get() -> &'static Callbacks {
    match CALLBACKS.get() {
        Some(c) => c,
        None => unreachable_without_init(),
    }
}

#[cold]
fn unreachable_without_init() -> ! {
    eprintln!("Fatal Python error: Lichen's PyPy host was used before lichen_init");
    std::process::abort()
}

/// Calls into PyPy with the extension lock let go for the duration:
/// `py!(get_attr(a, b))` calls the `get_attr` callback with handle bits or
/// plain values.
macro_rules! py {
    ($name:ident($($arg:expr),* $(,)?)) => {
        crate::lock::released(|| {
            let f = crate::callbacks::get().$name;
            // SAFETY: the cffi module filled the table with its `extern
            // "Python"` functions of exactly these C types (both sides are
            // generated from callbacks.def), and they may be called from any
            // thread: cffi takes PyPy's GIL around each.
            unsafe { f($($arg),*) }
        })
    };
}
pub(crate) use py;
