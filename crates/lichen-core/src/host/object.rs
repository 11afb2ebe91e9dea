//! Host operations behind the object context functions.
//!
//! Conventions as everywhere in the host: a returned `HPy` is a new handle,
//! NULL with an exception set on failure; a `c_int` is -1 on failure.

use core::ffi::{c_char, c_int, c_void};
use lichen_abi::*;

/// The conversions to text or bytes an object offers (`repr()`, `str()`,
/// `ascii()`, `bytes()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversion {
    Repr,
    Str,
    Ascii,
    Bytes,
}

impl Conversion {
    /// Every value, in declaration order (`value as i32` is its index).
    pub const ALL: [Conversion; 4] = [Conversion::Repr, Conversion::Str, Conversion::Ascii, Conversion::Bytes];
}

/// Kinds of object the core tests for before it hands an object on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    Callable,
    Tuple,
    Dict,
}

/// Which capsule data `capsule_get`/`capsule_set` address. The destructor is
/// not among them: it is write-only and has its own method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapsuleField {
    Pointer,
    Name,
    Context,
}

/// VM operations for the object area of the ABI.
///
/// The `unsafe` methods take pointers from the extension: C strings must be
/// NUL-terminated and argument arrays as long as the counts say, for the
/// duration of the call (the capsule name set through `capsule_set` and the
/// pointers given to `capsule_new`, for the life of the capsule).
pub trait ObjectHost: super::HostVm {
    /// A second handle to the object of `h` (NULL stays NULL).
    fn dup(vm: Self::Vm<'_>, h: HPy) -> HPy;
    /// Releases a handle; NULL is ignored.
    fn close(vm: Self::Vm<'_>, h: HPy);
    /// Whether two handles stand for the same object.
    fn is(vm: Self::Vm<'_>, a: HPy, b: HPy) -> bool;
    /// Whether `h` is an object of `kind`; never fails.
    fn is_kind(vm: Self::Vm<'_>, h: HPy, kind: ObjectKind) -> bool;

    fn type_of(vm: Self::Vm<'_>, h: HPy) -> HPy;
    /// Whether `obj` is an instance of the type `ty` or of a subtype.
    fn type_check(vm: Self::Vm<'_>, obj: HPy, ty: HPy) -> bool;
    fn is_true(vm: Self::Vm<'_>, h: HPy) -> c_int;
    fn convert(vm: Self::Vm<'_>, h: HPy, conversion: Conversion) -> HPy;
    fn rich_compare(vm: Self::Vm<'_>, v: HPy, w: HPy, op: HPy_RichCmpOp) -> HPy;
    fn rich_compare_bool(vm: Self::Vm<'_>, v: HPy, w: HPy, op: HPy_RichCmpOp) -> c_int;
    fn hash(vm: Self::Vm<'_>, h: HPy) -> HPy_hash_t;
    fn length(vm: Self::Vm<'_>, h: HPy) -> HPy_ssize_t;

    /// A str from a NUL-terminated UTF-8 attribute name or item key.
    unsafe fn key_from_utf8(vm: Self::Vm<'_>, utf8: *const c_char) -> HPy;
    fn get_attr(vm: Self::Vm<'_>, obj: HPy, name: HPy) -> HPy;
    /// Sets, or deletes when `value` is NULL.
    fn set_attr(vm: Self::Vm<'_>, obj: HPy, name: HPy, value: HPy) -> c_int;
    fn get_item(vm: Self::Vm<'_>, obj: HPy, key: HPy) -> HPy;
    /// `obj[idx]` when the host can answer it directly, with the result
    /// `get_item` would give for the int `idx` (a tuple's or list's item in
    /// range, typically); None to go through `get_item` with an int key.
    #[inline]
    fn item_at(_vm: Self::Vm<'_>, _obj: HPy, _idx: HPy_ssize_t) -> Option<HPy> {
        None
    }
    fn set_item(vm: Self::Vm<'_>, obj: HPy, key: HPy, value: HPy) -> c_int;
    fn del_item(vm: Self::Vm<'_>, obj: HPy, key: HPy) -> c_int;
    fn contains(vm: Self::Vm<'_>, container: HPy, key: HPy) -> c_int;

    /// Calls with a tuple of positional arguments and a dict of keywords,
    /// either of which may be NULL for "none".
    fn call_tuple_dict(vm: Self::Vm<'_>, callable: HPy, args: HPy, kw: HPy) -> HPy;
    /// Calls with `nargs` positional arguments followed by one argument per
    /// name in the tuple `kwnames` (NULL for none), as `args` lays them out.
    unsafe fn vectorcall(vm: Self::Vm<'_>, callable: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy;
    /// Like [`ObjectHost::vectorcall`], calling the method `name` of
    /// `args[0]` with the rest; `nargs` counts the receiver and is at least 1.
    unsafe fn vectorcall_method(vm: Self::Vm<'_>, name: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy;

    /// Prints what the VM knows about the object to stderr, for debugging.
    fn dump(vm: Self::Vm<'_>, h: HPy);
    /// Aborts the process after printing `message`. Works whether or not
    /// the thread holds the GIL (or may use the VM otherwise): it is also
    /// the fatal-error path of a panic in `leave` or `reenter`, after which
    /// that is unknown (see `crate::guard::guard_fatal`).
    ///
    /// # Safety
    /// `message` is NUL-terminated.
    unsafe fn fatal_error(message: *const c_char) -> !;

    /// Stores a new reference to `h` (or NULL) in a field of `owner`,
    /// releasing what the field held.
    fn field_store(vm: Self::Vm<'_>, owner: HPy, field: &mut HPyField, h: HPy);
    fn field_load(vm: Self::Vm<'_>, owner: HPy, field: HPyField) -> HPy;
    /// Like `field_store`, for a C global that lives as long as the process.
    fn global_store(vm: Self::Vm<'_>, global: &mut HPyGlobal, h: HPy);
    fn global_load(vm: Self::Vm<'_>, global: HPyGlobal) -> HPy;

    /// Lets other threads run Python code until the matching `reenter`.
    fn leave(vm: Self::Vm<'_>) -> HPyThreadState;
    fn reenter(state: HPyThreadState);

    fn import_module(vm: Self::Vm<'_>, name: HPy) -> HPy;
    /// Compiles `source`; `kind` is one of the three valid source kinds.
    unsafe fn compile(vm: Self::Vm<'_>, source: *const c_char, filename: *const c_char, kind: HPy_SourceKind) -> HPy;
    fn eval_code(vm: Self::Vm<'_>, code: HPy, globals: HPy, locals: HPy) -> HPy;

    unsafe fn context_var_new(vm: Self::Vm<'_>, name: *const c_char, default: HPy) -> HPy;
    /// 0 on success with `*result` set (NULL when there is no value and no
    /// default), -1 on failure.
    fn context_var_get(vm: Self::Vm<'_>, var: HPy, default: HPy, result: &mut HPy) -> c_int;
    /// A token for resetting the variable.
    fn context_var_set(vm: Self::Vm<'_>, var: HPy, value: HPy) -> HPy;

    /// `destructor`, when given, has both of its functions.
    unsafe fn capsule_new(vm: Self::Vm<'_>, pointer: *mut c_void, name: *const c_char, destructor: Option<&HPyCapsule_Destructor>) -> HPy;
    /// `name` is checked against the capsule's name for `CapsuleField::Pointer` only.
    unsafe fn capsule_get(vm: Self::Vm<'_>, capsule: HPy, field: CapsuleField, name: *const c_char) -> *mut c_void;
    unsafe fn capsule_set(vm: Self::Vm<'_>, capsule: HPy, field: CapsuleField, value: *mut c_void) -> c_int;
    fn capsule_set_destructor(vm: Self::Vm<'_>, capsule: HPy, destructor: Option<&HPyCapsule_Destructor>) -> c_int;
    unsafe fn capsule_is_valid(vm: Self::Vm<'_>, capsule: HPy, name: *const c_char) -> c_int;

    /// The raw start, stop and step of a slice, `None` bounds as the ABI
    /// documents them (step 0 is an error).
    fn slice_unpack(vm: Self::Vm<'_>, slice: HPy, start: &mut HPy_ssize_t, stop: &mut HPy_ssize_t, step: &mut HPy_ssize_t) -> c_int;

    /// A handle for a CPython object the caller lends (NULL stays NULL).
    unsafe fn from_pyobject(vm: Self::Vm<'_>, obj: *mut cpy_PyObject) -> HPy;
    /// A new CPython reference to the object of `h`.
    fn as_pyobject(vm: Self::Vm<'_>, h: HPy) -> *mut cpy_PyObject;
}
