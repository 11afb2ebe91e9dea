//! RustPython implements the core's `Host` trait.
//!
//! A handle is the address of a `PyObject` it owns one strong reference to
//! (`PyObjectRef::into_raw`); closing it gives the reference back with
//! `from_raw`. Every host method takes the VM of the calling thread as its
//! token (`HostVm::Vm`), which the core looks up once per context function
//! in RustPython's thread-local VM stack (RustPython pushes it whenever it
//! runs Python code on a thread).
//!
//! RustPython has no per-thread "current exception" that native code can
//! set and leave for its caller, so the host keeps one (see [`error`]): the
//! context functions set it, and the bridge that called the extension
//! ([`crate::module`]) turns it into a raised exception.

mod container;
pub mod error;
mod number;
pub mod object;
mod text;
mod types;

use core::ptr::NonNull;
use lichen_abi::HPy;
use lichen_core::host::ExcKind;
use lichen_core::host::HostVm;
use lichen_core::Host;
use rustpython_vm::{AsObject, PyObject, PyObjectRef, PyResult, VirtualMachine};

/// The RustPython VM, as a Lichen host. Its token ([`HostVm`]) is the VM
/// itself, looked up once per context function.
pub struct RustPython;

impl HostVm for RustPython {
    type Vm<'a> = &'a VirtualMachine;

    #[inline]
    unsafe fn enter<R>(f: impl for<'a> FnOnce(&'a VirtualMachine) -> R) -> R {
        with_vm(f)
    }
}

/// Runs `f` with the VM attached to the calling thread.
///
/// Every call from an extension comes from a method or slot that RustPython
/// called on this thread, so a VM is always attached; a call from anywhere
/// else is a misuse that RustPython reports by panicking.
#[inline]
pub fn with_vm<R>(f: impl FnOnce(&VirtualMachine) -> R) -> R {
    rustpython_vm::vm::thread::with_current_vm(f)
}

/// The object a live, non-NULL handle stands for, borrowed for as long as
/// the caller keeps the handle open.
///
/// # Safety
/// `h` must be a live handle made by [`o2h`] and not yet closed.
#[inline(always)]
pub unsafe fn h2o<'a>(h: HPy) -> &'a PyObject {
    debug_assert!(!h.is_null());
    // SAFETY: the caller guarantees `h` came from `into_raw` and still owns
    // its reference, so the object is alive.
    unsafe { &*(h._i as *const PyObject) }
}

/// Like [`h2o`], with NULL mapped to `None`.
///
/// # Safety
/// As for [`h2o`], when `h` is not NULL.
#[inline(always)]
pub unsafe fn h2o_opt<'a>(h: HPy) -> Option<&'a PyObject> {
    // SAFETY: `h2o` runs only for a non-NULL `h` (the `then`), which this
    // function's contract makes a live handle from `o2h`, as `h2o` requires.
    (!h.is_null()).then(|| unsafe { h2o(h) })
}

/// A handle that takes over the reference `obj` holds.
#[inline(always)]
pub fn o2h(obj: PyObjectRef) -> HPy {
    HPy { _i: obj.into_raw().as_ptr() as isize }
}

/// The reference a handle owns, taking it over (the handle is closed).
///
/// # Safety
/// `h` must be a live, non-NULL handle made by [`o2h`]; it must not be used
/// afterwards.
#[inline(always)]
pub unsafe fn take_handle(h: HPy) -> PyObjectRef {
    // SAFETY: `h` is the pointer `into_raw` returned and still owns its
    // reference, which `from_raw` takes back exactly once.
    unsafe { PyObjectRef::from_raw(NonNull::new_unchecked(h._i as *mut PyObject)) }
}

/// A new strong reference to the object of a live handle.
///
/// # Safety
/// As for [`h2o`].
#[inline(always)]
pub unsafe fn h2ref(h: HPy) -> PyObjectRef {
    // SAFETY: `h` is a live, non-NULL handle from `o2h` (this function's
    // contract, the same as `h2o`'s), so `h2o` may borrow its object.
    unsafe { h2o(h) }.to_owned()
}

/// A new handle for a result, or NULL with the error made pending.
#[inline]
pub fn result_handle<T: Into<PyObjectRef>>(r: PyResult<T>) -> HPy {
    match r {
        Ok(obj) => o2h(obj.into()),
        Err(e) => {
            error::set_pending(e);
            HPy::NULL
        }
    }
}

/// The value of a result, or `err` with the error made pending.
#[inline]
pub fn result_or<T>(r: PyResult<T>, err: T) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            error::set_pending(e);
            err
        }
    }
}

/// 0 on success, -1 with the error made pending.
#[inline]
pub fn status(r: PyResult<()>) -> core::ffi::c_int {
    result_or(r.map(|()| 0), -1)
}

/// 1, 0, or -1 with the error made pending.
#[inline]
pub fn truth(r: PyResult<bool>) -> core::ffi::c_int {
    result_or(r.map(core::ffi::c_int::from), -1)
}

/// Makes `kind(message)` the pending exception and returns `err`.
pub fn fail<T>(vm: &VirtualMachine, kind: ExcKind, message: &str, err: T) -> T {
    <RustPython as lichen_core::host::ErrorHost>::raise(vm, kind, message);
    err
}

impl Host for RustPython {
    const NAME: &'static str = "RustPython";

    fn handle_constant(vm: &VirtualMachine, name: &str) -> HPy {
        o2h(constant(vm, name))
    }
}

/// The object behind a context constant. The context holds its handles for
/// the life of the process and never closes them.
fn constant(vm: &VirtualMachine, name: &str) -> PyObjectRef {
    let t = &vm.ctx.types;
    let ty = |t: &'static rustpython_vm::Py<rustpython_vm::builtins::PyType>| t.to_owned().into();
    match name {
        "None" => vm.ctx.none(),
        "True" => vm.ctx.new_bool(true).into(),
        "False" => vm.ctx.new_bool(false).into(),
        "NotImplemented" => vm.ctx.not_implemented(),
        "Ellipsis" => vm.ctx.ellipsis.clone().into(),
        "BaseObjectType" => ty(t.object_type),
        "TypeType" => ty(t.type_type),
        "BoolType" => ty(t.bool_type),
        "LongType" => ty(t.int_type),
        "FloatType" => ty(t.float_type),
        "UnicodeType" => ty(t.str_type),
        "TupleType" => ty(t.tuple_type),
        "ListType" => ty(t.list_type),
        "ComplexType" => ty(t.complex_type),
        "BytesType" => ty(t.bytes_type),
        "MemoryViewType" => ty(t.memoryview_type),
        "CapsuleType" => crate::capsule::class().to_owned().into(),
        "SliceType" => ty(t.slice_type),
        "Builtins" => vm.builtins.dict().into(),
        // Exceptions and warnings, by their builtin names.
        _ => vm
            .builtins
            .as_object()
            .get_attr(&vm.ctx.new_str(name), vm)
            .unwrap_or_else(|_| panic!("lichen: the ABI names a constant '{name}' that RustPython lacks")),
    }
}
