//! Host operations behind the types context functions, and the conversions
//! that `CallRealFunctionFromTrampoline` needs on hosts that run CPython's
//! trampolines ([`TrampolineHost`]).
//!
//! Trampolines are compiled into the extension against the CPython ABI, so
//! their argument blocks carry `cpy_PyObject *`. Which handle stands for such
//! an object, and how a returned handle becomes one again, is the host's
//! business; the core only decides which conversions a signature needs.
//! Hosts that call implementations directly (see [`crate::call`]) never see
//! a trampoline and implement no such conversions.

use crate::type_spec::TypeSpec;
use core::ffi::{c_char, c_int, c_void};
use lichen_abi::*;

pub type Obj = *mut cpy_PyObject;

/// The pieces of a capsule its destructor receives.
pub struct CapsuleParts {
    pub name: *const c_char,
    pub pointer: *mut c_void,
    pub context: *mut c_void,
}

/// VM operations for the types area of the ABI.
pub trait TypeHost: super::HostVm {
    /// A new type from a checked spec. `ctx` is the context the extension
    /// called `HPyType_FromSpec` through (debug, trace or universal), which
    /// a host that calls implementations itself must call them with (see
    /// [`crate::call`]); trampolines carry their own.
    unsafe fn type_from_spec(vm: Self::Vm<'_>, spec: &TypeSpec, ctx: *mut HPyContext) -> HPy;
    /// `type.tp_alloc(type, 0)`: a new zeroed instance.
    fn type_generic_new(vm: Self::Vm<'_>, ty: HPy) -> HPy;
    /// A new zeroed instance of `ty`, with `*data` pointing at its native
    /// storage.
    fn new_instance(vm: Self::Vm<'_>, ty: HPy, data: &mut *mut c_void) -> HPy;
    /// The native storage of `h`, seen as an object of `shape`.
    fn as_struct(vm: Self::Vm<'_>, h: HPy, shape: HPyType_BuiltinShape) -> *mut c_void;
    /// The builtin shape of a type, -2 with an exception set if not a type.
    fn type_builtin_shape(vm: Self::Vm<'_>, ty: HPy) -> HPyType_BuiltinShape;
    /// The name of a type, valid as long as the type lives.
    fn type_name(vm: Self::Vm<'_>, ty: HPy) -> *const c_char;
    fn type_is_subtype(vm: Self::Vm<'_>, sub: HPy, ty: HPy) -> c_int;
    /// Sets the call implementation of one object of a type that has
    /// `HPy_tp_call`.
    fn set_call_function(vm: Self::Vm<'_>, h: HPy, func: &HPyCallFunction) -> c_int;
}

/// The `HPyFunc_traverseproc` type (`int (*)(void *, HPyFunc_visitproc, void *)`).
#[allow(non_camel_case_types)]
pub type HPyFunc_traverseproc =
    unsafe extern "C" fn(object: *mut c_void, visit: HPyFunc_visitproc, arg: *mut c_void) -> c_int;

/// The conversions `CallRealFunctionFromTrampoline` needs, for a host whose
/// VM calls an extension through the CPython-ABI trampolines compiled into
/// it (CPython). Such a host sets [`crate::Host::CALL_REAL_FUNCTION`] to
/// [`crate::api::CallRealFunctionFromTrampoline`].
pub trait TrampolineHost: crate::Host {
    /// A handle for an object a trampoline lends to the implementation for
    /// the duration of one call (NULL stays NULL).
    unsafe fn trampoline_arg(vm: Self::Vm<'_>, obj: Obj) -> HPy;
    /// The end of the call that [`TypeHost::trampoline_arg`] lent `h` for.
    fn trampoline_arg_done(vm: Self::Vm<'_>, h: HPy);
    /// The objects of a trampoline's argument array as handles in place,
    /// when [`TypeHost::trampoline_arg`] of every object is its own bits
    /// and needs no `trampoline_arg_done`: then the array is passed on
    /// without a copy. `None` (the default): the core converts each one.
    fn trampoline_args_in_place<'a>(_vm: Self::Vm<'_>, _objs: &'a [Obj]) -> Option<&'a [HPy]> {
        None
    }
    /// The object a trampoline returns for a handle an implementation
    /// returned, taking the handle over (NULL stays NULL).
    fn trampoline_result(vm: Self::Vm<'_>, h: HPy) -> Obj;
    /// The items of a tuple of positional arguments (NULL for none).
    unsafe fn tuple_items<'a>(vm: Self::Vm<'_>, tuple: Obj) -> &'a [Obj];
    /// How many names the `kwnames` tuple of a vectorcall holds (NULL: 0).
    unsafe fn kwnames_len(vm: Self::Vm<'_>, kwnames: Obj) -> usize;
    /// The positional count of a vectorcall `nargsf` (flag bits removed).
    fn vectorcall_nargs(vm: Self::Vm<'_>, nargsf: usize) -> usize;

    /// Fills the VM's buffer `view` from what a getbuffer implementation
    /// wrote; the view takes its own reference to `src.obj`.
    unsafe fn buffer_export(vm: Self::Vm<'_>, src: &HPy_buffer, view: *mut c_void);
    /// Marks the VM's buffer `view` as not filled, after a failed getbuffer.
    unsafe fn buffer_export_failed(vm: Self::Vm<'_>, view: *mut c_void);
    /// An `HPy_buffer` describing the VM's buffer `view`; its `obj` is a new
    /// handle the caller closes.
    unsafe fn buffer_import(vm: Self::Vm<'_>, view: *const c_void) -> HPy_buffer;

    /// Runs an HPy traverse implementation for `self_` with the VM's GC
    /// visitor `visit`/`arg`.
    unsafe fn traverse(vm: Self::Vm<'_>, 
        f: HPyFunc_traverseproc,
        self_: Obj,
        visit: *mut c_void,
        arg: *mut c_void,
    ) -> c_int;
    /// What the destructor of `capsule` receives.
    unsafe fn capsule_parts(vm: Self::Vm<'_>, capsule: Obj) -> CapsuleParts;
    /// Checks what an `HPy_mod_create` implementation returned, replacing
    /// it by NULL with an exception set if the VM cannot accept it.
    unsafe fn check_mod_create_result(vm: Self::Vm<'_>, result: &mut Obj);
}
