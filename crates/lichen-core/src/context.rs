//! Builds the universal context of a host from the ABI declaration.

use crate::host::Host;
use core::ffi::{c_int, CStr};
use lichen_abi::HPyContext;

macro_rules! member_value {
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
