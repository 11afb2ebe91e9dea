//! Builds the universal context of a host from the ABI declaration.

use crate::host::Host;
use core::ffi::{c_int, CStr};
use lichen_abi::HPyContext;

/// One `extern "C"` function per context function, `guarded::Name::<H,
/// PANIC>`, that runs `crate::api::Name::<H>` under the panic barrier
/// ([`crate::guard`]): a panic becomes a `SystemError` naming the function
/// and the function's error value. The three functions with no error
/// channel (`LeavePythonExecution`, `ReenterPythonExecution`: nothing the
/// extension checks, and after a panic it is unknown whether the thread
/// holds the GIL, which raising needs; `FatalError`, which must not return)
/// are behind [`crate::guard::guard_fatal`] instead: a panic there is HPy's
/// fatal-error path, the host's `fatal_error` (which needs no GIL) with the
/// message naming the function, then an abort. `PANIC = true` is the
/// self-test variant, which panics before calling (see
/// [`crate::guard::selftest_panic_target`]); it is a separate
/// monomorphisation, so the real one has no test on its path.
/// `CallRealFunctionFromTrampoline` guards itself (it must also mark the
/// trampoline's result as failed, see `api::types`).
mod guarded {
    #![allow(clippy::too_many_arguments)]
    use crate::host::{ExcKind, Host};
    use core::ffi::{c_char, c_int, c_void};
    use lichen_abi::*;

    macro_rules! guarded_fn {
        (@barrier $barrier:ident, $report:expr, $token:ident; $name:ident ($($arg:ident : $ty:ty),*) -> $ret:ty) => {
            pub unsafe extern "C" fn $name<H: Host, const PANIC: bool>(ctx: *mut HPyContext $(, $arg: $ty)*) -> $ret {
                crate::guard::$barrier(
                    concat!("HPy context function '", stringify!($name), "'"),
                    $report,
                    // SAFETY: the context function's own contract: the
                    // extension's arguments are passed unchanged. With
                    // `enter`, also `enter`'s precondition: only an extension
                    // calls a context function, and HPy lets it do so only on
                    // a thread that may use the VM (the thread the VM runs it
                    // on, outside `LeavePythonExecution`...`Reenter`, and
                    // `Reenter` is `plain`).
                    || unsafe { guarded_fn!(@call $token; $name(ctx $(, $arg)*)) },
                )
            }
        };
        // `enter`: the function runs with the host's token, made here once
        // per call (`HostVm::enter`) and passed to `api::$name` first.
        (@call enter; $name:ident ($($arg:ident),*)) => {
            H::enter(|vm| guarded_fn!(@call plain; $name(vm $(, $arg)*)))
        };
        // No token: `ReenterPythonExecution` is called without the GIL (it
        // takes it back) and `FatalError` must work on any thread.
        (@call plain; $name:ident ($($arg:ident),*)) => {{
            if PANIC {
                crate::guard::selftest_panic(stringify!($name));
            }
            crate::api::$name::<H>($($arg),*)
        }};
        (CallRealFunctionFromTrampoline $($rest:tt)*) => {};
        (LeavePythonExecution $($rest:tt)*) => {
            guarded_fn!(@barrier guard_fatal, fatal::<H>, enter; LeavePythonExecution $($rest)*);
        };
        (ReenterPythonExecution $($rest:tt)*) => {
            guarded_fn!(@barrier guard_fatal, fatal::<H>, plain; ReenterPythonExecution $($rest)*);
        };
        // The extension's own message first, if it can be read, then the
        // panic's.
        (FatalError ($message:ident : $mty:ty) -> $ret:ty) => {
            guarded_fn!(@barrier guard_fatal, |msg| {
                // SAFETY: HPy requires `message` to be NULL or NUL-terminated,
                // `print_fatal_message`'s one precondition.
                unsafe { crate::guard::print_fatal_message($message) };
                fatal::<H>(msg)
            }, plain; FatalError ($message : $mty) -> $ret);
        };
        ($name:ident $($rest:tt)*) => {
            guarded_fn!(@barrier guard, raise_system_error::<H>, enter; $name $($rest)*);
        };
    }

    /// The report of the barrier of every function with an error channel:
    /// a pending `SystemError`.
    #[cold]
    fn raise_system_error<H: Host>(msg: &str) {
        // SAFETY: called by the barrier of a context function, on the
        // thread that called it, which may use the VM (as for the function
        // itself, see `guarded_fn!`).
        unsafe { H::enter(|vm| H::raise(vm, ExcKind::SystemError, msg)) }
    }

    /// The fatal-error path of the three functions above: the host's
    /// `fatal_error`, called directly (not through the context, whose
    /// `FatalError` may be the self-test's panicking variant).
    fn fatal<H: Host>(msg: &str) {
        let msg = std::ffi::CString::new(msg.replace('\0', " ")).unwrap_or_default();
        // SAFETY: `fatal_error` reads a NUL-terminated message, which `msg`
        // is, and needs no GIL (`ObjectHost::fatal_error`'s contract), which
        // after a panic here the thread may or may not hold.
        unsafe { H::fatal_error(msg.as_ptr()) }
    }

    macro_rules! guarded_fns {
        (; $($field:ident $name:ident ($($arg:ident : $ty:ty),*) -> $ret:ty,)*) => {
            $(guarded_fn!($name ($($arg : $ty),*) -> $ret);)*
        };
    }

    lichen_abi::context_functions!(guarded_fns);
}

macro_rules! member_value {
    ($host:ty, $vm:ident, $target:ident, fn CallRealFunctionFromTrampoline) => {
        <$host as Host>::CALL_REAL_FUNCTION
    };
    ($host:ty, $vm:ident, $target:ident, handle $name:ident) => {
        <$host as Host>::handle_constant($vm, stringify!($name))
    };
    ($host:ty, $vm:ident, $target:ident, fn $name:ident) => {
        if $target.as_deref() == Some(stringify!($name)) {
            guarded::$name::<$host, true>
        } else {
            guarded::$name::<$host, false>
        }
    };
}

macro_rules! build_context {
    ($host:ty, $vm:ident, $target:ident, $name:expr ; $($kind:ident $field:ident $member:ident,)*) => {
        HPyContext {
            name: $name,
            _private: core::ptr::null_mut(),
            abi_version: lichen_abi::HPY_ABI_VERSION as c_int,
            $($field: member_value!($host, $vm, $target, $kind $member),)*
        }
    };
}

/// A context whose functions are `crate::api::*::<H>`, each behind the
/// panic barrier, and whose constants are the host's; `name` must start
/// with "HPy Universal ABI" for HPy's tests. `vm` gives the constants.
pub fn universal_context<H: Host>(vm: H::Vm<'_>, name: &'static CStr) -> HPyContext {
    let selftest = crate::guard::selftest_panic_target();
    lichen_abi::context_members!(build_context, H, vm, selftest, (name.as_ptr()))
}

/// `lichen_abi::context_members!(wrapping_context, (src), (name), (private), fns)`:
/// a context over the context `src` with its handle constants, `name`,
/// `_private` and `src`'s ABI version, and as functions the same-named
/// functions of the module `fns` (one generated from `context_functions!`):
/// how the trace context and the refusing table of a released debug context
/// are built.
macro_rules! wrapping_context {
    ($src:tt, $name:tt, $private:tt, $fns:ident ; $($kind:ident $field:ident $member:ident,)*) => {
        lichen_abi::HPyContext {
            name: $name,
            _private: $private,
            abi_version: (*$src).abi_version as core::ffi::c_int,
            $($field: $crate::context::wrapping_member!($src, $fns, $kind $field $member),)*
        }
    };
}
macro_rules! wrapping_member {
    ($src:tt, $fns:ident, handle $field:ident $name:ident) => {
        (*$src).$field
    };
    ($src:tt, $fns:ident, fn $field:ident $name:ident) => {
        $fns::$name
    };
}
pub(crate) use {wrapping_context, wrapping_member};

/// A host's three process-wide contexts, each built on first use and kept
/// for the rest of the process: the universal one (constants from the host,
/// functions behind the panic barrier) and the trace and debug ones that
/// wrap it. Extensions loaded in debug mode all share the one debug context
/// (and its handle table). A host declares
/// `pub static CONTEXTS: HostContexts<Host> = HostContexts::new(c"HPy Universal ABI (Lichen, X backend)")`.
/// Each getter takes the host's token: the first call builds the universal
/// context, whose constants are the VM's objects.
pub struct HostContexts<H: Host> {
    name: &'static CStr,
    universal: ProcessContext,
    trace: ProcessContext,
    debug: ProcessContext,
    host: core::marker::PhantomData<fn() -> H>,
}

impl<H: Host> HostContexts<H> {
    pub const fn new(name: &'static CStr) -> Self {
        HostContexts {
            name,
            universal: ProcessContext::new(),
            trace: ProcessContext::new(),
            debug: ProcessContext::new(),
            host: core::marker::PhantomData,
        }
    }

    pub fn universal(&self, vm: H::Vm<'_>) -> *mut HPyContext {
        self.universal.get_or_leak(|| universal_context::<H>(vm, self.name))
    }

    pub fn trace(&self, vm: H::Vm<'_>) -> *mut HPyContext {
        // SAFETY: the universal context lives for the rest of the process.
        self.trace.get_or_init(|| unsafe { crate::trace::trace_context(self.universal(vm)) })
    }

    pub fn debug(&self, vm: H::Vm<'_>) -> *mut HPyContext {
        // SAFETY: the universal context lives for the rest of the process.
        self.debug.get_or_init(|| unsafe { crate::debug::debug_context::<H>(self.universal(vm)) })
    }

    /// The context for extensions loaded in `mode`.
    pub fn for_mode(&self, vm: H::Vm<'_>, mode: crate::loader::Mode) -> *mut HPyContext {
        match mode {
            crate::loader::Mode::Universal => self.universal(vm),
            crate::loader::Mode::Debug => self.debug(vm),
            crate::loader::Mode::Trace => self.trace(vm),
        }
    }
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
