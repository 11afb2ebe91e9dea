//! Builds the universal context of a host from the ABI declaration.

use crate::host::Host;
use core::ffi::{c_int, CStr};
use lichen_abi::HPyContext;

macro_rules! member_value {
    ($host:ty, fn CallRealFunctionFromTrampoline) => {
        <$host as Host>::CALL_REAL_FUNCTION
    };
    ($host:ty, handle $name:ident) => {
        <$host as Host>::handle_constant(stringify!($name))
    };
    ($host:ty, fn $name:ident) => {
        crate::api::$name::<$host>
    };
}

macro_rules! build_context {
    ($host:ty, $name:expr ; $($kind:ident $field:ident $member:ident,)*) => {
        HPyContext {
            name: $name,
            _private: core::ptr::null_mut(),
            abi_version: lichen_abi::HPY_ABI_VERSION as c_int,
            $($field: member_value!($host, $kind $member),)*
        }
    };
}

/// A context whose functions are `crate::api::*::<H>` and whose constants
/// are the host's; `name` must start with "HPy Universal ABI" for HPy's tests.
pub fn universal_context<H: Host>(name: &'static CStr) -> HPyContext {
    lichen_abi::context_members!(build_context, H, (name.as_ptr()))
}

/// A context built once and kept for the rest of the process: extensions
/// keep its pointer for as long as they are loaded, which is forever.
pub struct ProcessContext(std::sync::OnceLock<ContextPtr>);

struct ContextPtr(*mut HPyContext);
// SAFETY: the context is built once and never mutated afterwards; the pointer
// is only handed to extensions.
unsafe impl Send for ContextPtr {}
unsafe impl Sync for ContextPtr {}

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
