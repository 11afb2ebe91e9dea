//! The context functions, generic over the host. Each takes the host's
//! token (`H::Vm`, see [`crate::host::HostVm`]) and then exactly the ABI
//! parameters of its context member; [`crate::context::universal_context`]
//! puts into the table the `extern "C"` wrappers that make the token
//! (`HostVm::enter`) and call them.

// One module per area of the ABI, as in `crate::host`.
area_modules!();

use crate::host::{ExcKind, Host};
use crate::retval::ErrorValue;
use lichen_abi::HPyContext;

/// Raises `NotImplementedError` naming the context function, for operations
/// a host cannot support, and returns the ABI's error value.
#[cold]
pub fn unsupported<H: Host, R: ErrorValue>(vm: H::Vm<'_>, _ctx: *mut HPyContext, name: &str) -> R {
    H::raise(
        vm,
        ExcKind::NotImplementedError,
        &format!("HPy context function '{name}' is not supported by the {} host", H::NAME),
    );
    R::error_value()
}
