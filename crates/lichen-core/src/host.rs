//! What a VM must provide for Lichen to run HPy extensions on it.
//!
//! The trait is split by area so that each part of the ABI can grow on its
//! own; [`Host`] ties them together. Methods use the C calling conventions
//! of the ABI (a NULL handle or -1 means "exception set"), because that is
//! what the context functions hand back to the extension anyway.
//!
//! Handles are the host's business: `HPy._i` may be a pointer, an index or
//! anything else, as long as the host can map it back to its object.

// One module per area of the ABI (see `area_modules!` in lib.rs).
area_modules!();

use lichen_abi::HPy;

/// A Python VM that runs HPy extensions.
pub trait Host:
    ObjectHost + NumberHost + TextHost + ContainerHost + BuilderHost + ErrorHost + TypeHost + Sized + 'static
{
    /// Shown in messages, e.g. "CPython".
    const NAME: &'static str;

    /// The object behind a context constant, by its name in the ABI
    /// declaration (`None`, `TypeError`, `ListType`, `Builtins`, ...).
    /// Called only while a context is built.
    fn handle_constant(name: &str) -> HPy;

    /// The context's `CallRealFunctionFromTrampoline`:
    /// [`crate::api::CallRealFunctionFromTrampoline`] for a host that runs
    /// CPython's trampolines (and implements [`TrampolineHost`]); by default
    /// [`crate::api::NoTrampolines`], for hosts that call implementations
    /// directly.
    const CALL_REAL_FUNCTION: CallRealFunction = crate::api::NoTrampolines::<Self>;
}

/// The C type of `ctx_CallRealFunctionFromTrampoline`.
pub type CallRealFunction =
    unsafe extern "C" fn(*mut lichen_abi::HPyContext, lichen_abi::HPyFunc_Signature, lichen_abi::HPyCFunction, *mut core::ffi::c_void);
