//! Context functions: object.
//!
//! The pointers these functions pass on to the host come from the extension,
//! which the ABI obliges to pass valid ones; that is the safety argument for
//! every `unsafe` host call below that carries no comment of its own.

use crate::prelude::*;

pub unsafe fn Dup<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy {
    H::dup(vm, h)
}

pub unsafe fn Close<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) {
    H::close(vm, h)
}

pub unsafe fn Is<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, other: HPy) -> c_int {
    H::is(vm, obj, other) as c_int
}

pub unsafe fn Type<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy) -> HPy {
    H::type_of(vm, obj)
}

pub unsafe fn TypeCheck<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, type_: HPy) -> c_int {
    H::type_check(vm, obj, type_) as c_int
}

pub unsafe fn IsTrue<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> c_int {
    H::is_true(vm, h)
}

pub unsafe fn Repr<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy) -> HPy {
    H::convert(vm, obj, Conversion::Repr)
}

pub unsafe fn Str<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy) -> HPy {
    H::convert(vm, obj, Conversion::Str)
}

pub unsafe fn ASCII<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy) -> HPy {
    H::convert(vm, obj, Conversion::Ascii)
}

pub unsafe fn Bytes<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy) -> HPy {
    H::convert(vm, obj, Conversion::Bytes)
}

pub unsafe fn RichCompare<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, v: HPy, w: HPy, op: c_int) -> HPy {
    match cmp_op(op) {
        Some(op) => H::rich_compare(vm, v, w, op),
        None => bad_cmp_op::<H, _>(vm, op),
    }
}

pub unsafe fn RichCompareBool<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, v: HPy, w: HPy, op: c_int) -> c_int {
    match cmp_op(op) {
        Some(op) => H::rich_compare_bool(vm, v, w, op),
        None => bad_cmp_op::<H, _>(vm, op),
    }
}

pub unsafe fn Hash<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy) -> HPy_hash_t {
    H::hash(vm, obj)
}

pub unsafe fn GetAttr<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, name: HPy) -> HPy {
    H::get_attr(vm, obj, name)
}

pub unsafe fn GetAttr_s<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, utf8_name: *const c_char) -> HPy {
    // SAFETY: HPy requires `utf8_name` to be a NUL-terminated string, the one
    // precondition of `with_key`; `obj` is a handle the extension owns.
    unsafe {
        with_key::<H, _>(vm, utf8_name, |name| H::get_attr(vm, obj, name))
    }
}

pub unsafe fn HasAttr<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, name: HPy) -> c_int {
    has_attr::<H>(vm, obj, name)
}

pub unsafe fn HasAttr_s<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, utf8_name: *const c_char) -> c_int {
    // SAFETY: `key_from_utf8` needs a NUL-terminated string, which HPy requires
    // `utf8_name` to be; the name it makes is closed here, and `obj` is the
    // extension's live handle.
    unsafe {
        let name = H::key_from_utf8(vm, utf8_name);
        if name.is_null() {
            // Like Python's hasattr(), HasAttr cannot fail: a name that cannot
            // be decoded is simply not there.
            H::err_clear(vm);
            return 0;
        }
        let found = has_attr::<H>(vm, obj, name);
        H::close(vm, name);
        found
    }
}

pub unsafe fn SetAttr<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, name: HPy, value: HPy) -> c_int {
    H::set_attr(vm, obj, name, value)
}

pub unsafe fn SetAttr_s<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, utf8_name: *const c_char, value: HPy) -> c_int {
    // SAFETY: HPy requires `utf8_name` to be a NUL-terminated string, the one
    // precondition of `with_key`; `obj` and `value` are handles the extension
    // owns.
    unsafe {
        with_key::<H, _>(vm, utf8_name, |name| H::set_attr(vm, obj, name, value))
    }
}

pub unsafe fn GetItem<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, key: HPy) -> HPy {
    H::get_item(vm, obj, key)
}

pub unsafe fn GetItem_i<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, idx: HPy_ssize_t) -> HPy {
    // SAFETY: `get_item_index` only builds an int key and calls the host's
    // `get_item` on `obj`, a live handle of the extension: it has no
    // precondition beyond what every context function gets.
    unsafe {
        match H::item_at(vm, obj, idx) {
            Some(item) => item,
            None => get_item_index::<H>(vm, obj, idx),
        }
    }
}

/// `obj[idx]` through an int key; out of line, so that the direct path of
/// `GetItem_i` saves no registers for it.
#[inline(never)]
unsafe fn get_item_index<H: Host>(vm: H::Vm<'_>, obj: HPy, idx: HPy_ssize_t) -> HPy {
    with_index::<H, _>(vm, idx, |key| H::get_item(vm, obj, key))
}

pub unsafe fn GetItem_s<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, utf8_key: *const c_char) -> HPy {
    // SAFETY: HPy requires `utf8_key` to be a NUL-terminated string, the one
    // precondition of `with_key`.
    unsafe {
        with_key::<H, _>(vm, utf8_key, |key| H::get_item(vm, obj, key))
    }
}

pub unsafe fn Contains<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, container: HPy, key: HPy) -> c_int {
    H::contains(vm, container, key)
}

/// A context function storing or deleting an item, and its `_i` and `_s`
/// variants, whose key is a handle, an index or a UTF-8 string (made into
/// a temporary key object for the host's `$op`).
macro_rules! item_functions {
    ($name:ident, $name_i:ident, $name_s:ident = $op:ident($($value:ident)?)) => {
        pub unsafe fn $name<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, key: HPy $(, $value: HPy)?) -> c_int {
            H::$op(vm, obj, key $(, $value)?)
        }

        pub unsafe fn $name_i<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, idx: HPy_ssize_t $(, $value: HPy)?) -> c_int {
            with_index::<H, _>(vm, idx, |key| H::$op(vm, obj, key $(, $value)?))
        }

        pub unsafe fn $name_s<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: HPy, utf8_key: *const c_char $(, $value: HPy)?) -> c_int {
            // SAFETY: the ABI requires `utf8_key` to be a NUL-terminated string.
            unsafe { with_key::<H, _>(vm, utf8_key, |key| H::$op(vm, obj, key $(, $value)?)) }
        }
    };
}

item_functions!(SetItem, SetItem_i, SetItem_s = set_item(value));
item_functions!(DelItem, DelItem_i, DelItem_s = del_item());

pub unsafe fn Length<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy_ssize_t {
    H::length(vm, h)
}

pub unsafe fn Callable_Check<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> c_int {
    H::is_kind(vm, h, ObjectKind::Callable) as c_int
}

pub unsafe fn CallTupleDict<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, callable: HPy, args: HPy, kw: HPy) -> HPy {
    if !args.is_null() && !H::is_kind(vm, args, ObjectKind::Tuple) {
        return type_error::<H, _>(vm, "HPy_CallTupleDict requires args to be a tuple or null handle");
    }
    if !kw.is_null() && !H::is_kind(vm, kw, ObjectKind::Dict) {
        return type_error::<H, _>(vm, "HPy_CallTupleDict requires kw to be a dict or null handle");
    }
    H::call_tuple_dict(vm, callable, args, kw)
}

pub unsafe fn Call<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, callable: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
    // SAFETY: HPy_Call's contract: `args` holds `nargs` handles followed by one
    // per name of `kwnames` (checked above to be a tuple or NULL), which is
    // what the host's `vectorcall` reads.
    unsafe {
        if !kwnames_ok::<H>(vm, kwnames) {
            return type_error::<H, _>(vm, "HPy_Call requires kwnames to be a tuple or null handle");
        }
        H::vectorcall(vm, callable, args, nargs, kwnames)
    }
}

pub unsafe fn CallMethod<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, name: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
    // SAFETY: HPy_CallMethod's contract: `args` holds `nargs` handles (at least
    // the receiver, checked above) followed by one per name of `kwnames`
    // (checked to be a tuple or NULL), as the host's `vectorcall_method`
    // requires.
    unsafe {
        if nargs == 0 {
            return type_error::<H, _>(vm, "HPy_CallMethod requires a receiver (args[0])");
        }
        if !kwnames_ok::<H>(vm, kwnames) {
            return type_error::<H, _>(vm, "HPy_CallMethod requires kwnames to be a tuple or null handle");
        }
        H::vectorcall_method(vm, name, args, nargs, kwnames)
    }
}

pub unsafe fn Dump<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) {
    H::dump(vm, h)
}

pub unsafe fn FatalError<H: Host>(_ctx: *mut HPyContext, message: *const c_char) {
    // SAFETY: HPy requires `message` to be a NUL-terminated string (or NULL),
    // all `fatal_error` reads before it stops the process.
    unsafe {
        H::fatal_error(message)
    }
}

pub unsafe fn Field_Store<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, target_object: HPy, target_field: *mut HPyField, h: HPy) {
    // SAFETY: the ABI requires `target_field` to point into the native
    // storage of `target_object`, valid for the duration of the call.
    H::field_store(vm, target_object, unsafe { &mut *target_field }, h)
}

pub unsafe fn Field_Load<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, source_object: HPy, source_field: HPyField) -> HPy {
    H::field_load(vm, source_object, source_field)
}

pub unsafe fn Global_Store<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, global: *mut HPyGlobal, h: HPy) {
    // SAFETY: the ABI requires `global` to point to a C global of the extension.
    H::global_store(vm, unsafe { &mut *global }, h)
}

pub unsafe fn Global_Load<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, global: HPyGlobal) -> HPy {
    H::global_load(vm, global)
}

pub unsafe fn LeavePythonExecution<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext) -> HPyThreadState {
    H::leave(vm)
}

pub unsafe fn ReenterPythonExecution<H: Host>(_ctx: *mut HPyContext, state: HPyThreadState) {
    H::reenter(state)
}

pub unsafe fn Import_ImportModule<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, utf8_name: *const c_char) -> HPy {
    // SAFETY: HPy requires `utf8_name` to be a NUL-terminated string, the one
    // precondition of `with_key`.
    unsafe {
        with_key::<H, _>(vm, utf8_name, |name| H::import_module(vm, name))
    }
}

pub unsafe fn Compile_s<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, utf8_source: *const c_char, utf8_filename: *const c_char, kind: HPy_SourceKind) -> HPy {
    // SAFETY: HPy requires `utf8_source` and `utf8_filename` to be NUL-
    // terminated strings, which `compile` reads; `kind` is checked above to be
    // one of the three valid kinds, as `compile` requires.
    unsafe {
        if kind.name().is_none() {
            H::raise(vm, ExcKind::SystemError, "invalid source kind");
            return HPy::NULL;
        }
        H::compile(vm, utf8_source, utf8_filename, kind)
    }
}

pub unsafe fn EvalCode<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, code: HPy, globals: HPy, locals: HPy) -> HPy {
    H::eval_code(vm, code, globals, locals)
}

pub unsafe fn ContextVar_New<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, name: *const c_char, default_value: HPy) -> HPy {
    // SAFETY: HPy requires `name` to be a NUL-terminated string, which
    // `context_var_new` copies into the variable's name.
    unsafe {
        H::context_var_new(vm, name, default_value)
    }
}

pub unsafe fn ContextVar_Get<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, context_var: HPy, default_value: HPy, result: *mut HPy) -> i32 {
    // SAFETY: the ABI requires `result` to point to writable storage for a handle.
    H::context_var_get(vm, context_var, default_value, unsafe { &mut *result })
}

pub unsafe fn ContextVar_Set<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, context_var: HPy, value: HPy) -> HPy {
    H::context_var_set(vm, context_var, value)
}

pub unsafe fn Capsule_New<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, pointer: *mut c_void, utf8_name: *const c_char, destructor: *mut HPyCapsule_Destructor) -> HPy {
    // SAFETY: the ABI passes NULL or a pointer to a destructor definition
    // that lives as long as the extension.
    match unsafe { destructor_arg(destructor) } {
        // SAFETY: the name and pointer are the extension's, passed on as
        // HPyCapsule_New's contract has them.
        Ok(d) => unsafe { H::capsule_new(vm, pointer, utf8_name, d) },
        Err(msg) => value_error::<H, _>(vm, msg),
    }
}

pub unsafe fn Capsule_Get<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, capsule: HPy, key: _HPyCapsule_key, utf8_name: *const c_char) -> *mut c_void {
    // SAFETY: `capsule_get` reads `utf8_name` only for `CapsuleField::Pointer`,
    // where HPy requires it to be NULL or NUL-terminated; `capsule` is the
    // extension's live handle.
    unsafe {
        match capsule_field(key) {
            Ok(field) => H::capsule_get(vm, capsule, field, utf8_name),
            Err(CapsuleKey::Destructor) => value_error::<H, _>(vm, "Invalid operation: get HPyCapsule_key_Destructor"),
            Err(CapsuleKey::Invalid) => bad_capsule_key::<H, _>(vm, key),
        }
    }
}

pub unsafe fn Capsule_IsValid<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, capsule: HPy, utf8_name: *const c_char) -> c_int {
    // SAFETY: HPy requires `utf8_name` to be NULL or NUL-terminated, all
    // `capsule_is_valid` reads of it.
    unsafe {
        H::capsule_is_valid(vm, capsule, utf8_name)
    }
}

pub unsafe fn Capsule_Set<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, capsule: HPy, key: _HPyCapsule_key, value: *mut c_void) -> c_int {
    match capsule_field(key) {
        // SAFETY: `value` is what HPyCapsule_Set's contract says for `key`.
        Ok(field) => unsafe { H::capsule_set(vm, capsule, field, value) },
        // SAFETY: for this key the ABI passes NULL or a destructor
        // definition, as for Capsule_New.
        Err(CapsuleKey::Destructor) => match unsafe { destructor_arg(value.cast()) } {
            Ok(d) => H::capsule_set_destructor(vm, capsule, d),
            Err(msg) => value_error::<H, _>(vm, msg),
        },
        Err(CapsuleKey::Invalid) => bad_capsule_key::<H, _>(vm, key),
    }
}

pub unsafe fn Slice_Unpack<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, slice: HPy, start: *mut HPy_ssize_t, stop: *mut HPy_ssize_t, step: *mut HPy_ssize_t) -> c_int {
    // SAFETY: the ABI requires three pointers to writable `HPy_ssize_t`s.
    let (start, stop, step) = unsafe { (&mut *start, &mut *stop, &mut *step) };
    H::slice_unpack(vm, slice, start, stop, step)
}

pub unsafe fn FromPyObject<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, obj: *mut cpy_PyObject) -> HPy {
    // SAFETY: HPy_FromPyObject's contract: `obj` is NULL or a live object of
    // this VM that the caller lends for the call, as `from_pyobject` requires.
    unsafe {
        H::from_pyobject(vm, obj)
    }
}

pub unsafe fn AsPyObject<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> *mut cpy_PyObject {
    H::as_pyobject(vm, h)
}

/// hasattr(): any error while looking the attribute up means "no".
#[inline]
fn has_attr<H: Host>(vm: H::Vm<'_>, obj: HPy, name: HPy) -> c_int {
    let value = H::get_attr(vm, obj, name);
    if value.is_null() {
        H::err_clear(vm);
        return 0;
    }
    H::close(vm, value);
    1
}

/// Runs `f` with a temporary str made from a C string, as HPy's `_s`
/// variants do. `utf8` must be NUL-terminated.
#[inline]
unsafe fn with_key<H: Host, R: ErrorValue>(vm: H::Vm<'_>, utf8: *const c_char, f: impl FnOnce(HPy) -> R) -> R {
    // SAFETY: the caller passes a NUL-terminated string.
    with_temporary::<H, R>(vm, unsafe { H::key_from_utf8(vm, utf8) }, f)
}

/// Runs `f` with a temporary int key, as HPy's `_i` variants do.
#[inline]
fn with_index<H: Host, R: ErrorValue>(vm: H::Vm<'_>, idx: HPy_ssize_t, f: impl FnOnce(HPy) -> R) -> R {
    with_temporary::<H, R>(vm, H::long_from_isize(vm, idx), f)
}

/// Runs `f` with `key`, a new handle closed afterwards; NULL (making it
/// failed, with an exception set) gives `R`'s error value without calling.
#[inline]
fn with_temporary<H: Host, R: ErrorValue>(vm: H::Vm<'_>, key: HPy, f: impl FnOnce(HPy) -> R) -> R {
    if key.is_null() {
        return R::error_value();
    }
    let result = f(key);
    H::close(vm, key);
    result
}

#[inline]
fn kwnames_ok<H: Host>(vm: H::Vm<'_>, kwnames: HPy) -> bool {
    kwnames.is_null() || H::is_kind(vm, kwnames, ObjectKind::Tuple)
}

/// The comparison an ABI operator number stands for, if any.
fn cmp_op(op: c_int) -> Option<HPy_RichCmpOp> {
    let op = HPy_RichCmpOp(op);
    op.name().map(|_| op)
}

/// What a capsule key addresses, when it is not plain data.
#[derive(Debug, PartialEq, Eq)]
enum CapsuleKey {
    Destructor,
    Invalid,
}

fn capsule_field(key: _HPyCapsule_key) -> Result<CapsuleField, CapsuleKey> {
    match key {
        _HPyCapsule_key::Pointer => Ok(CapsuleField::Pointer),
        _HPyCapsule_key::Name => Ok(CapsuleField::Name),
        _HPyCapsule_key::Context => Ok(CapsuleField::Context),
        _HPyCapsule_key::Destructor => Err(CapsuleKey::Destructor),
        _ => Err(CapsuleKey::Invalid),
    }
}

/// A destructor argument: NULL for none, or a definition with both of its
/// functions (HPy rejects half-filled ones).
unsafe fn destructor_arg<'a>(d: *const HPyCapsule_Destructor) -> Result<Option<&'a HPyCapsule_Destructor>, &'static str> {
    // SAFETY: the caller passes NULL or a valid pointer.
    match unsafe { d.as_ref() } {
        None => Ok(None),
        Some(d) if d.cpy_trampoline.is_some() && d.impl_.is_some() => Ok(Some(d)),
        Some(_) => Err("Invalid HPyCapsule destructor"),
    }
}

#[cold]
fn type_error<H: Host, R: ErrorValue>(vm: H::Vm<'_>, msg: &str) -> R {
    H::raise(vm, ExcKind::TypeError, msg);
    R::error_value()
}

#[cold]
fn value_error<H: Host, R: ErrorValue>(vm: H::Vm<'_>, msg: &str) -> R {
    H::raise(vm, ExcKind::ValueError, msg);
    R::error_value()
}

#[cold]
fn bad_cmp_op<H: Host, R: ErrorValue>(vm: H::Vm<'_>, op: c_int) -> R {
    H::raise(vm, ExcKind::SystemError, &format!("invalid rich comparison operator {op}"));
    R::error_value()
}

#[cold]
fn bad_capsule_key<H: Host, R: ErrorValue>(vm: H::Vm<'_>, key: _HPyCapsule_key) -> R {
    H::raise(vm, ExcKind::SystemError, &format!("invalid capsule key {}", key.0));
    R::error_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_operators() {
        assert_eq!(cmp_op(0), Some(HPy_RichCmpOp::LT));
        assert_eq!(cmp_op(5), Some(HPy_RichCmpOp::GE));
        assert_eq!(cmp_op(6), None);
        assert_eq!(cmp_op(-1), None);
    }

    #[test]
    fn capsule_keys() {
        assert_eq!(capsule_field(_HPyCapsule_key::Pointer), Ok(CapsuleField::Pointer));
        assert_eq!(capsule_field(_HPyCapsule_key::Name), Ok(CapsuleField::Name));
        assert_eq!(capsule_field(_HPyCapsule_key::Context), Ok(CapsuleField::Context));
        assert_eq!(capsule_field(_HPyCapsule_key::Destructor), Err(CapsuleKey::Destructor));
        assert_eq!(capsule_field(_HPyCapsule_key(4)), Err(CapsuleKey::Invalid));
    }

    unsafe extern "C" fn trampoline() {}
    unsafe extern "C" fn destroy(_: *const c_char, _: *mut c_void, _: *mut c_void) {}

    #[test]
    fn capsule_destructors() {
        let full = HPyCapsule_Destructor { cpy_trampoline: Some(trampoline), impl_: Some(destroy) };
        let half = HPyCapsule_Destructor { cpy_trampoline: Some(trampoline), impl_: None };
        // SAFETY: NULL or pointers to live locals.
        unsafe {
            assert!(matches!(destructor_arg(core::ptr::null()), Ok(None)));
            assert!(matches!(destructor_arg(&full), Ok(Some(_))));
            assert!(destructor_arg(&half).is_err());
        }
    }
}
