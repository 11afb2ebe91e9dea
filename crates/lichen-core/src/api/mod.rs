//! The context functions, generic over the host. Each is an
//! `extern "C"` function with exactly the ABI signature of its context member;
//! [`crate::context::universal_context`] puts them into the table.

// One module per area of the ABI, as in `crate::host`.
area_modules!();

use crate::host::{ExcKind, Host};
use crate::retval::ErrorValue;
use lichen_abi::HPyContext;

/// Raises `NotImplementedError` naming the context function, for operations
/// a host cannot support, and returns the ABI's error value.
#[cold]
pub fn unsupported<H: Host, R: ErrorValue>(_ctx: *mut HPyContext, name: &str) -> R {
    H::raise(
        ExcKind::NotImplementedError,
        &format!("HPy context function '{name}' is not supported by the {} host", H::NAME),
    );
    R::error_value()
}
