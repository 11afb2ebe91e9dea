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

/// A callback's function pointer, called with its arguments as a tuple.
pub trait Callback<Args> {
    type Out;
    /// # Safety
    /// `self` must be a callback of the table (see `py!`).
    unsafe fn invoke(self, args: Args) -> Self::Out;
}

macro_rules! callback_arity {
    ($($t:ident $a:ident),*) => {
        impl<R $(, $t)*> Callback<($($t,)*)> for unsafe extern "C" fn($($t),*) -> R {
            type Out = R;
            #[inline(always)]
            unsafe fn invoke(self, ($($a,)*): ($($t,)*)) -> R {
                // SAFETY: `self` is a callback of the table (the `# Safety`
                // of `invoke`): a function cffi made for an `extern "Python"`
                // declaration of exactly this C type, valid for the process.
                unsafe { self($($a),*) }
            }
        }
    };
}

callback_arity!();
callback_arity!(A a);
callback_arity!(A a, B b);
callback_arity!(A a, B b, C c);
callback_arity!(A a, B b, C c, D d);
callback_arity!(A a, B b, C c, D d, E e);
callback_arity!(A a, B b, C c, D d, E e, F f);

/// Calls `f` with `args` with the extension lock let go (`pure`: see
/// `pure` in callbacks.def).
#[inline(always)]
pub fn call_released<F: Callback<A>, A>(f: F, args: A, pure: bool) -> F::Out {
    crate::lock::released(pure, || {
        // SAFETY: the cffi module filled the table with its `extern
        // "Python"` functions of exactly these C types (both sides are
        // generated from callbacks.def), and they may be called from any
        // thread: cffi takes PyPy's GIL around each.
        unsafe { f.invoke(args) }
    })
}

/// After a callback: its error value with no exception pending means PyPy
/// could not run the callback's Python code at all (cffi then reports the
/// exception on stderr and returns the error value, without `onerror`):
/// its stack is exhausted. The failure must not pass for success, nor for
/// an error without an exception.
#[inline(always)]
pub fn check_failed<T: PartialEq>(r: T, error: Option<T>) -> T {
    if error.is_some_and(|e| e == r) && !crate::host::error::occurred() {
        stack_exhausted();
    }
    r
}

#[cold]
fn stack_exhausted() {
    crate::host::error::set_exhausted(crate::host::error::Pending::Message {
        ty: crate::host::constant("RecursionError"),
        message: c"maximum recursion depth exceeded (PyPy could not run a call back into Python)".into(),
    });
}

/// Calls into PyPy: `py!(get_attr(a, b))` calls the `get_attr` callback
/// with handle bits or plain values. The arguments are evaluated first,
/// with the extension lock held (they may use the table, or call into
/// PyPy themselves); the lock is let go only for the call.
macro_rules! py {
    ($name:ident($($arg:expr),* $(,)?)) => {{
        let args = ($($arg,)*);
        let r = crate::callbacks::call_released(crate::callbacks::get().$name, args, crate::callbacks::pure::$name);
        crate::callbacks::check_failed(r, crate::callbacks::error_values::$name)
    }};
}
pub(crate) use py;
