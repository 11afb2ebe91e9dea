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

/// The token of a VM: what every host operation takes as its first
/// parameter, the proof that the calling thread may use the VM (or the VM
/// itself), so that no host operation has to assume it or look it up.
///
/// The core makes one per call, with [`HostVm::enter`], in each context
/// function (`crate::context`'s generated wrappers, the trampoline entry),
/// and hands it to every host operation the call makes. A token cannot
/// outlive the closure it is given to, so it never reaches another call or
/// another thread.
pub trait HostVm {
    /// CPython: `pyo3::Python<'a>`, zero-sized, the proof that the thread
    /// holds the GIL (is attached). RustPython: `&'a VirtualMachine`, the VM
    /// attached to the thread. PyPy: a zero-sized proof that the thread holds
    /// the host's extension lock.
    type Vm<'a>: Copy;

    /// Runs `f` with the calling thread's token.
    ///
    /// # Safety
    /// The calling thread may use the VM: it runs a context function (or a
    /// host entry) that the VM called, or that an extension the VM runs
    /// called, on this thread, and not between `HPy_LeavePythonExecution`
    /// and `HPy_ReenterPythonExecution` (CPython: the thread holds the GIL;
    /// PyPy: the extension lock; RustPython: a VM is attached to the thread).
    unsafe fn enter<R>(f: impl for<'a> FnOnce(Self::Vm<'a>) -> R) -> R;
}

/// A Python VM that runs HPy extensions.
pub trait Host:
    HostVm
    + ObjectHost + NumberHost + TextHost + ContainerHost + BuilderHost + ErrorHost + TypeHost + Sized + 'static
{
    /// Shown in messages, e.g. "CPython".
    const NAME: &'static str;

    /// The object behind a context constant, by its name in the ABI
    /// declaration (`None`, `TypeError`, `ListType`, `Builtins`, ...), as
    /// the universal context holds it for the rest of the process.
    fn handle_constant(vm: Self::Vm<'_>, name: &str) -> HPy;

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
