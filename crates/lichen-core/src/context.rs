//! Builds the universal context of a host from the ABI declaration.

use crate::host::Host;
use core::ffi::{c_int, CStr};
use lichen_abi::HPyContext;

/// One `extern "C"` function per context function, `guarded::Name::<H,
/// PANIC>`, that runs `crate::api::Name::<H>` under the panic barrier
/// ([`crate::guard`]): a panic becomes a `SystemError` naming the function
/// and the function's error value. `PANIC = true` is the self-test variant,
/// which panics before calling (see [`crate::guard::selftest_panic_target`]);
/// it is a separate monomorphisation, so the real one has no test on its path.
/// `CallRealFunctionFromTrampoline` guards itself (it must also mark the
/// trampoline's result as failed, see `api::types`).
mod guarded {
    #![allow(clippy::too_many_arguments)]
    use crate::host::{ExcKind, Host};
    use core::ffi::{c_char, c_int, c_void};
    use lichen_abi::*;

    macro_rules! guarded_fn {
        (CallRealFunctionFromTrampoline $($rest:tt)*) => {};
        ($name:ident ($($arg:ident : $ty:ty),*) -> $ret:ty) => {
            pub unsafe extern "C" fn $name<H: Host, const PANIC: bool>(ctx: *mut HPyContext $(, $arg: $ty)*) -> $ret {
                crate::guard::guard(
                    concat!("HPy context function '", stringify!($name), "'"),
                    |msg| H::raise(ExcKind::SystemError, msg),
                    // SAFETY: the same contract as the context function
                    // itself: the extension's arguments are passed unchanged.
                    || unsafe {
                        if PANIC {
                            crate::guard::selftest_panic(stringify!($name));
                        }
                        crate::api::$name::<H>(ctx $(, $arg)*)
                    },
                )
            }
        };
    }

    macro_rules! guarded_fns {
        (; $($field:ident $name:ident ($($arg:ident : $ty:ty),*) -> $ret:ty,)*) => {
            $(guarded_fn!($name ($($arg : $ty),*) -> $ret);)*
        };
    }

    lichen_abi::context_functions!(guarded_fns);
}

macro_rules! member_value {
    ($host:ty, $target:ident, fn CallRealFunctionFromTrampoline) => {
        <$host as Host>::CALL_REAL_FUNCTION
    };
    ($host:ty, $target:ident, handle $name:ident) => {
        <$host as Host>::handle_constant(stringify!($name))
    };
    ($host:ty, $target:ident, fn $name:ident) => {
        if $target.as_deref() == Some(stringify!($name)) {
            guarded::$name::<$host, true>
        } else {
            guarded::$name::<$host, false>
        }
    };
}

macro_rules! build_context {
    ($host:ty, $target:ident, $name:expr ; $($kind:ident $field:ident $member:ident,)*) => {
        HPyContext {
            name: $name,
            _private: core::ptr::null_mut(),
            abi_version: lichen_abi::HPY_ABI_VERSION as c_int,
            $($field: member_value!($host, $target, $kind $member),)*
        }
    };
}

/// A context whose functions are `crate::api::*::<H>`, each behind the
/// panic barrier, and whose constants are the host's; `name` must start
/// with "HPy Universal ABI" for HPy's tests.
pub fn universal_context<H: Host>(name: &'static CStr) -> HPyContext {
    let selftest = crate::guard::selftest_panic_target();
    lichen_abi::context_members!(build_context, H, selftest, (name.as_ptr()))
}

/// A context built once and kept for the rest of the process: extensions
/// keep its pointer for as long as they are loaded, which is forever.
pub struct ProcessContext(std::sync::OnceLock<ContextPtr>);

struct ContextPtr(*mut HPyContext);
// SAFETY: the context is built once and never mutated afterwards; the pointer
// is only handed to extensions.
unsafe impl Send for ContextPtr {}
unsafe impl Sync for ContextPtr {}

impl Default for ProcessContext {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessContext {
    pub const fn new() -> Self {
        ProcessContext(std::sync::OnceLock::new())
    }

    /// The context, built by `build` on first use; `build` returns a
    /// pointer that stays valid for the rest of the process.
    pub fn get_or_init(&self, build: impl FnOnce() -> *mut HPyContext) -> *mut HPyContext {
        self.0.get_or_init(|| ContextPtr(build())).0
    }

    /// Like [`ProcessContext::get_or_init`], for a context built by value
    /// (leaked on purpose).
    pub fn get_or_leak(&self, build: impl FnOnce() -> HPyContext) -> *mut HPyContext {
        self.get_or_init(|| Box::into_raw(Box::new(build())))
    }
}
